import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeDataChannel from 'node-datachannel';
import { request } from 'undici';
import WebTorrent from 'webtorrent';
import type { ManifestResponse } from '../../client/protocol/manifest.js';
import type { RunningApp } from '../../proxy/app.js';
import { loadConfig } from '../../proxy/config/load-config.js';
import { createLogger } from '../../proxy/logger.js';
import { SeederFeature } from '../../seeder/seeder-feature.js';
import { startTestApp } from './app-harness.js';
import { BrowserLikePeer, sha256Hex } from './browser-like-peer.js';
import { CountingOrigin, pseudoRandomBytes, sha256 } from './counting-origin.js';

const VIDEO = pseudoRandomBytes(1024 * 1024 + 99, 123);
const PHOTO = pseudoRandomBytes(120_000, 321);
const WAIT_MS = 30_000;
const REANNOUNCE_MS = 3_000;
/** The part of a WebTorrent torrent used to announce again (its tracker client). */
interface ReannounceTorrent { discovery?: { tracker?: { update(): void } } }

async function waitFor(check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('SEEDER_MODE=external: the seeder as its own peer joining the proxy', () => {
  let origin: CountingOrigin;
  let app: RunningApp & { torrentRoute: string };
  let external: SeederFeature;
  let leechDir: string;
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    origin = new CountingOrigin();
    await origin.listen();
    origin.add('/videos/clip.webm', VIDEO, 'video/webm').add('/img/photo.png', PHOTO, 'image/png');
    app = await startTestApp(origin, { seederMode: 'external' });
    // What `npm run seeder` builds from the same config plus PROXY_URL.
    const config = loadConfig({}, {
      origin: origin.url.href.replace(/\/$/, ''), proxyUrl: app.url.href.replace(/\/$/, ''),
      torrentRoute: app.torrentRoute, logLevel: 'silent', seederMode: 'external',
    });
    external = new SeederFeature({ config, origin: origin.url, logger: createLogger('silent') });
    await external.startPeer(app.url);
    leechDir = await mkdtemp(join(tmpdir(), 'pc-ext-leech-'));
    await waitFor(() => external.peer?.signal.connected === true, 'external seeder joining signaling');
  });

  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await external.close();
    await app.close();
    await origin.close();
    await rm(leechDir, { recursive: true, force: true });
    nodeDataChannel.cleanup();
  });

  test('the proxy runs no seeder peer of its own', () => {
    assert.equal(app.seeder.peer, undefined);
  });

  test('browsers get images from the external seeder over a data channel', async () => {
    const res = await request(new URL('/__p2p/manifest?u=/img/photo.png', app.url));
    const entry = ((await res.body.json()) as ManifestResponse).assets[0]!;
    const peer = await BrowserLikePeer.connect(app.url);
    cleanups.push(() => peer.close());
    const holders = await peer.holders(entry.id!);
    const seederId = external.peer!.signal.peerId!;
    assert.ok(holders.includes(seederId));
    const { bytes } = await peer.fetch(seederId, entry.id!, new URL('/img/photo.png', app.url).href);
    assert.equal(sha256Hex(bytes), entry.sha256);
  });

  test('it seeds torrents the proxy built (from the shared torrentRoute via the webseed)', async () => {
    const res = await request(new URL('/__p2p/manifest?u=/videos/clip.webm', app.url));
    const infoHash = ((await res.body.json()) as ManifestResponse).assets[0]!.infoHash!;
    assert.ok(infoHash);
    assert.equal(await external.peer!.scanTorrents(), 1);
    await waitFor(() => external.peer!.torrentSeeder.isComplete(infoHash), 'external seeder holding every piece');

    const torrentRes = await request(new URL(`/__p2p/torrents/${infoHash}.torrent`, app.url));
    const file = Buffer.from(await torrentRes.body.arrayBuffer());
    const client = new WebTorrent({
      dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false, webSeeds: false,
      tracker: { rtcConfig: { iceServers: [] } },
    });
    cleanups.push(() => new Promise<void>((resolve) => client.destroy(() => resolve())));
    const torrent = await new Promise<import('webtorrent').Torrent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('download timed out')), WAIT_MS);
      const t = client.add(file, { path: leechDir });
      // Two Node peers: libdatachannel as the offerer rarely refuses an answer
      // ("remote candidate without ICE transport") and the tracker would offer
      // again only at the next announce interval, so announce again until done.
      const reannounce = setInterval(() => (t as unknown as ReannounceTorrent).discovery?.tracker?.update(), REANNOUNCE_MS);
      t.once('done', () => {
        clearTimeout(timer);
        clearInterval(reannounce);
        resolve(t);
      });
    });
    assert.equal(sha256(Buffer.from(await torrent.files[0]!.arrayBuffer())), sha256(VIDEO));
    assert.ok(torrent.wires.every((wire) => wire.type === 'webrtc'));
  });
});
