import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeDataChannel from 'node-datachannel';
import { request } from 'undici';
import WebTorrent, { type Torrent } from 'webtorrent';
import type { ManifestResponse } from '../../protocol/manifest.js';
import type { RunningApp } from '../../proxy/app.js';
import { iceCompleteFixStats, installIceCompleteFix } from '../../seeder/peer/ice-complete-fix.js';
import { startTestApp } from './app-harness.js';
import { CountingOrigin, pseudoRandomBytes, sha256 } from './counting-origin.js';
import { waitFor } from '../helpers/wait.js';

/** Default wait for seeder state in these tests. */
const SEEDER_WAIT_MS = 20_000;
const VIDEO = pseudoRandomBytes(2 * 1024 * 1024 + 777, 99);
const DOWNLOAD_WAIT_MS = 45_000;

function leecher(options: { webSeeds: boolean; tracker: boolean }): WebTorrent {
  installIceCompleteFix();
  return new WebTorrent({
    dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false,
    webSeeds: options.webSeeds,
    tracker: options.tracker ? { rtcConfig: { iceServers: [] } } : false,
  });
}

async function torrentOf(app: RunningApp, path: string): Promise<{ infoHash: string; file: Buffer }> {
  const res = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(path)}`, app.url));
  const infoHash = ((await res.body.json()) as ManifestResponse).assets[0]?.infoHash;
  assert.ok(infoHash);
  const torrent = await request(new URL(`/__p2p/torrents/${infoHash}.torrent`, app.url));
  assert.equal(torrent.statusCode, 200);
  return { infoHash, file: Buffer.from(await torrent.body.arrayBuffer()) };
}

/** Adds the torrent and resolves when complete; records when the first peer wire appeared. */
function download(client: WebTorrent, file: Buffer, path: string): Promise<{ torrent: Torrent; firstWireMs: number; totalMs: number }> {
  const started = performance.now();
  let firstWireMs = Number.NaN;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`download not done within ${DOWNLOAD_WAIT_MS} ms`)), DOWNLOAD_WAIT_MS);
    const torrent = client.add(file, { path });
    torrent.on('wire', () => {
      if (Number.isNaN(firstWireMs)) firstWireMs = performance.now() - started;
    });
    torrent.once('error', (err: unknown) => {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
    torrent.once('done', () => {
      clearTimeout(timer);
      resolve({ torrent, firstWireMs, totalMs: performance.now() - started });
    });
  });
}

describe('video over WebTorrent in Node', () => {
  let origin: CountingOrigin;
  let dir: string;
  const clients: WebTorrent[] = [];
  const apps: RunningApp[] = [];

  before(async () => {
    origin = new CountingOrigin();
    await origin.listen();
    origin.add('/videos/clip.webm', VIDEO, 'video/webm');
    dir = await mkdtemp(join(tmpdir(), 'pc-leech-'));
  });

  after(async () => {
    await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.destroy(() => resolve()))));
    for (const app of apps) await app.close();
    await origin.close();
    await rm(dir, { recursive: true, force: true });
    nodeDataChannel.cleanup();
  });

  test('from the seeder over WebRTC, with the webseed disabled', async (t) => {
    const app = await startTestApp(origin, { seederMode: 'embedded' });
    apps.push(app);
    const { infoHash, file } = await torrentOf(app, '/videos/clip.webm');
    await waitFor(() => app.seeder.peer?.torrentSeeder.infoHashes.includes(infoHash) === true, 'seeder seeding the torrent', SEEDER_WAIT_MS);

    const endOfCandidatesBefore = iceCompleteFixStats.endOfCandidates;
    const client = leecher({ webSeeds: false, tracker: true });
    clients.push(client);
    const { torrent, firstWireMs, totalMs } = await download(client, file, join(dir, 'webrtc'));
    t.diagnostic(`first WebRTC wire after ${firstWireMs.toFixed(0)} ms, complete after ${totalMs.toFixed(0)} ms`);

    const bytes = Buffer.from(await torrent.files[0]!.arrayBuffer());
    assert.equal(sha256(bytes), sha256(VIDEO));
    assert.ok(torrent.wires.length > 0);
    assert.ok(torrent.wires.every((wire) => wire.type === 'webrtc'), JSON.stringify(torrent.wires.map((w) => w.type)));
    // Both ends of the connection went through the end-of-candidates fix.
    assert.ok(iceCompleteFixStats.endOfCandidates >= endOfCandidatesBefore + 2);
    assert.equal(origin.hitsOf('/videos/clip.webm'), 1);
  });

  test('from the webseed alone, with no seeder and no tracker', async (t) => {
    const app = await startTestApp(origin, { seederMode: 'off' });
    apps.push(app);
    const { file } = await torrentOf(app, '/videos/clip.webm');
    assert.equal(app.seeder.peer, undefined);
    const client = leecher({ webSeeds: true, tracker: false });
    clients.push(client);
    const { torrent, totalMs } = await download(client, file, join(dir, 'webseed'));
    t.diagnostic(`webseed download complete after ${totalMs.toFixed(0)} ms`);
    const bytes = Buffer.from(await torrent.files[0]!.arrayBuffer());
    assert.equal(sha256(bytes), sha256(VIDEO));
    assert.deepEqual([...new Set(torrent.wires.map((wire) => wire.type))], ['webSeed']);
  });
});
