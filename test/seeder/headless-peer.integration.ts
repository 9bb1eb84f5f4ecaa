import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodeDataChannel from 'node-datachannel';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import type { RunningApp } from '../../proxy/app.js';
import { startTestApp } from './app-harness.js';
import { BrowserLikePeer } from './browser-like-peer.js';
import { sha256 } from '../helpers/test-origin.js';
import { CountingOrigin, pseudoRandomBytes } from './counting-origin.js';
import { waitFor } from '../helpers/wait.js';

const PHOTO = pseudoRandomBytes(300_000, 42);
const CONNECT_WAIT_MS = 10_000;

describe('headless seeder peer over WebRTC data channels (real signaling)', () => {
  let origin: CountingOrigin;
  let app: RunningApp;
  const peers: BrowserLikePeer[] = [];

  before(async () => {
    origin = new CountingOrigin();
    await origin.listen();
    origin.add('/img/photo.png', PHOTO, 'image/png');
    app = await startTestApp(origin, { seederMode: 'embedded' });
    await waitFor(() => app.seeder.peer?.signal.connected === true, 'seeder joining signaling', CONNECT_WAIT_MS);
  });

  after(async () => {
    for (const peer of peers) peer.close();
    await app.close();
    await origin.close();
    nodeDataChannel.cleanup();
  });

  test('a Node peer gets an image from the seeder and its sha256 matches the manifest', async (t) => {
    const res = await request(new URL('/__p2p/manifest?u=/img/photo.png', app.url));
    const entry = ((await res.body.json()) as ManifestResponse).assets[0];
    assert.ok(entry?.id && entry.sha256);

    const peer = await BrowserLikePeer.connect(app.url);
    peers.push(peer);
    const holders = await peer.holders(entry.id);
    const seederId = app.seeder.peer?.signal.peerId;
    assert.ok(seederId && holders.includes(seederId), `seeder ${seederId} among holders ${JSON.stringify(holders)}`);

    const url = new URL('/img/photo.png', app.url).href;
    const { bytes, setupMs, header, attempts } = await peer.fetch(seederId, entry.id, url);
    t.diagnostic(`data channel setup ${setupMs.toFixed(0)} ms (attempts: ${attempts})`);
    assert.equal(header.type, 'header');
    assert.equal(bytes.length, PHOTO.length);
    assert.equal(sha256(bytes), entry.sha256);
    assert.equal(origin.hitsOf('/img/photo.png'), 1);
  });

  test('a request whose id does not match its URL, or for another host, is declined', async () => {
    const peer = await BrowserLikePeer.connect(app.url);
    peers.push(peer);
    const seederId = app.seeder.peer!.signal.peerId!;
    const res = await request(new URL('/__p2p/manifest?u=/img/photo.png', app.url));
    const id = ((await res.body.json()) as ManifestResponse).assets[0]!.id!;
    await peer.holders(id);
    await assert.rejects(peer.fetch(seederId, id, new URL('/img/other.png', app.url).href), /declined: bad-request/);
    await peer.holders(id);
    await assert.rejects(peer.fetch(seederId, id, 'http://evil.example/img/photo.png'), /declined: bad-request/);
  });
});
