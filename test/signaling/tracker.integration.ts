import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebTorrent, { type Torrent } from 'webtorrent';
import parseTorrent from 'parse-torrent';
import { startApp, type RunningApp } from '../../proxy/app.js';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';
import { installIceCompleteFix } from '../../seeder/peer/ice-complete-fix.js';
import { sha256 } from '../helpers/test-origin.js';
import { within } from '../helpers/wait.js';

// Real WebRTC between two Node WebTorrent clients: runs inside the test network
// namespace (scripts/run-tests.mjs). Generous bound: the ICE setup alone may take
// seconds per side on a loaded machine.
const TRANSFER_TIMEOUT_MS = 60_000;
const WARNING_TIMEOUT_MS = 15_000;


function nodeClient(): WebTorrent {
  const client = new WebTorrent({ dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, tracker: { rtcConfig: {} } });
  client.on('error', () => {});
  return client;
}


describe('WebTorrent tracker at <prefix>/tracker', () => {
  let app: RunningApp;
  let torrentRoute: string;
  let trackerUrl: string;
  const clients: WebTorrent[] = [];

  before(async () => {
    // Without it each side waits ~5 s for an end-of-candidates event webrtc-polyfill never sends.
    installIceCompleteFix();
    torrentRoute = await mkdtemp(join(tmpdir(), 'pc-tracker-test-'));
    const config = loadConfig({}, {
      port: 0, host: '127.0.0.1', logLevel: 'silent', torrentRoute, seederMode: 'off', geoLocate: true,
    });
    app = await startApp(config, createLogger('silent'));
    trackerUrl = `ws://127.0.0.1:${app.url.port}/__p2p/tracker`;
  });
  after(async () => {
    await Promise.all(clients.map((client) => new Promise<void>((resolve) => client.destroy(() => resolve()))));
    await app.close();
    await rm(torrentRoute, { recursive: true, force: true });
  });

  test('two Node WebTorrent clients find each other through the tracker and transfer a torrent', { timeout: TRANSFER_TIMEOUT_MS * 2 }, async () => {
    // A torrent the proxy knows: the demo video, indexed through the manifest.
    const manifest = await (await fetch(new URL('/__p2p/manifest?u=/media/demo.webm', app.url))).json() as { assets: { infoHash?: string }[] };
    const infoHash = manifest.assets[0]?.infoHash;
    assert.match(infoHash ?? '', /^[0-9a-f]{40}$/, 'the manifest names an info hash');
    const torrentFile = Buffer.from(await (await fetch(new URL(`/__p2p/torrents/${infoHash}.torrent`, app.url))).arrayBuffer());
    const bytes = new Uint8Array(await (await fetch(new URL('/media/demo.webm', app.url))).arrayBuffer());
    const parsed = await parseTorrent(torrentFile) as unknown as Record<string, unknown> & { infoHash: string };

    // Neither client gets the webseed: every byte the leecher has came from the other peer.
    const seederClient = nodeClient();
    const leecherClient = nodeClient();
    clients.push(seederClient, leecherClient);
    const seeded = await within(new Promise<Torrent>((resolve) => {
      seederClient.seed(Buffer.from(bytes), {
        name: String(parsed.name), pieceLength: Number(parsed.pieceLength), announce: [trackerUrl],
      }, (torrent) => resolve(torrent));
    }), 'seeder ready', TRANSFER_TIMEOUT_MS);
    // Same name, piece length and bytes as the proxy's torrent: the same info hash, hence the same swarm.
    assert.equal(seeded.infoHash, infoHash);

    const leech = leecherClient.add({ ...parsed, urlList: [], announce: [trackerUrl] }, { announce: [trackerUrl] });
    await within(new Promise<void>((resolve) => {
      if (leech.done) return resolve();
      leech.once('done', () => resolve());
    }), 'download from the other peer', TRANSFER_TIMEOUT_MS);
    const file = leech.files[0];
    assert.ok(file, 'the torrent has a file');
    assert.equal(sha256(new Uint8Array(await file.arrayBuffer())), sha256(bytes));
    assert.ok(leech.downloaded >= bytes.length, `downloaded ${leech.downloaded} of ${bytes.length} from the peer`);
    const stats = app.signaling.stats().tracker;
    assert.ok(stats.swarms >= 1 && stats.peers >= 2, `tracker stats ${JSON.stringify(stats)}`);
  });

  test('announces for torrents the proxy does not know are refused', { timeout: WARNING_TIMEOUT_MS * 2 }, async () => {
    const client = nodeClient();
    clients.push(client);
    const refused = new Promise<string>((resolve) => {
      client.seed(Buffer.from(randomBytes(4096)), { name: 'stranger.bin', announce: [trackerUrl] }, (torrent) => {
        torrent.on('warning', (err: Error) => {
          if (/unknown torrent/.test(err.message)) resolve(err.message);
        });
      });
    });
    assert.match(await within(refused, 'tracker refusal', WARNING_TIMEOUT_MS), /unknown torrent/);
    assert.ok(app.signaling.stats().tracker.refusedAnnounces >= 1, 'refusal counted');
  });
});
