import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodeDataChannel from 'node-datachannel';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import type { RunningApp } from '../../proxy/app.js';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';
import { SeederFeature } from '../../seeder/seeder-feature.js';
import { startTestApp } from './app-harness.js';
import { BrowserLikePeer } from './browser-like-peer.js';
import { sha256 } from '../helpers/test-origin.js';
import { CountingOrigin, pseudoRandomBytes } from './counting-origin.js';
import { waitFor } from '../helpers/wait.js';
import { trackerCompleteCount } from './tracker-probe.js';

const VIDEO = pseudoRandomBytes(1024 * 1024 + 99, 123);
const PHOTO = pseudoRandomBytes(120_000, 321);
const WAIT_MS = 30_000;

/** The secret the proxy and the external seeder share (no address is privileged). */
const SEEDER_TOKEN = 'external-seeder-test-token';

describe('SEEDER_MODE=external: the seeder as its own peer joining the proxy', () => {
  let origin: CountingOrigin;
  let app: RunningApp & { torrentRoute: string };
  let external: SeederFeature;
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    origin = new CountingOrigin();
    await origin.listen();
    origin.add('/videos/clip.webm', VIDEO, 'video/webm').add('/img/photo.png', PHOTO, 'image/png');
    app = await startTestApp(origin, { seederMode: 'external', seederToken: SEEDER_TOKEN });
    // What `npm run seeder` builds from the same config plus PROXY_URL.
    const config = loadConfig({}, {
      origin: origin.url.href.replace(/\/$/, ''), proxyUrl: app.url.href.replace(/\/$/, ''),
      torrentRoute: app.torrentRoute, logLevel: 'silent', seederMode: 'external', seederToken: SEEDER_TOKEN,
    });
    external = new SeederFeature({ config, origin: origin.url, logger: createLogger('silent') });
    await external.startPeer(app.url);
    await waitFor(() => external.peer?.signal.connected === true, 'external seeder joining signaling', WAIT_MS);
  });

  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await external.close();
    await app.close();
    await origin.close();
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
    assert.equal(sha256(bytes), entry.sha256);
  });

  test('it seeds torrents the proxy built (from the shared torrentRoute via the webseed)', async () => {
    const res = await request(new URL('/__p2p/manifest?u=/videos/clip.webm', app.url));
    const infoHash = ((await res.body.json()) as ManifestResponse).assets[0]!.infoHash!;
    assert.ok(infoHash);
    assert.equal(await external.peer!.scanTorrents(), 1);
    await waitFor(() => external.peer!.torrentSeeder.isComplete(infoHash), 'external seeder holding every piece', WAIT_MS);

    // The swarm on the proxy's tracker now counts the external seeder as a
    // complete peer (the WebRTC transfer from the seeder process is covered in
    // external-seeder-video.integration.ts).
    const complete = await trackerCompleteCount(app.url, infoHash);
    assert.equal(complete, 1);
  });
});
