import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodeDataChannel from 'node-datachannel';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import type { RunningApp } from '../../proxy/app.js';
import { sha256 } from '../helpers/test-origin.js';
import { waitFor } from '../helpers/wait.js';
import { startTestApp } from './app-harness.js';
import { BrowserLikePeer } from './browser-like-peer.js';
import { CountingOrigin, pseudoRandomBytes } from './counting-origin.js';
import { SeederProcess, externalSeederEnv } from './seeder-process.js';

/** Big enough that the transfer is still running when the kill lands (under P2P_IMAGE_MAX_BYTES). */
const PHOTO = pseudoRandomBytes(8 * 1024 * 1024, 77);
const PHOTO_PATH = '/img/big.png';
const SEEDER_START_MS = 60_000;
const WAIT_MS = 30_000;
/**
 * Signaling pings every minute here, so a seeder that vanished can only be
 * forgotten this fast through its socket closing, not through a missed heartbeat.
 */
const HEARTBEAT_MS = 60_000;
const FORGET_MS = 5_000;
const SEEDER_TOKEN = 'seeder-crash-token';

describe('SEEDER_MODE=external: the seeder process killed (SIGKILL) mid-transfer', () => {
  let origin: CountingOrigin;
  let app: RunningApp & { torrentRoute: string };
  let seeder: SeederProcess;
  const peers: BrowserLikePeer[] = [];
  let seederEnv: Record<string, string>;

  before(async () => {
    origin = new CountingOrigin();
    await origin.listen();
    origin.add(PHOTO_PATH, PHOTO, 'image/png');
    app = await startTestApp(origin, { seederMode: 'external', seederToken: SEEDER_TOKEN, signalHeartbeatMs: HEARTBEAT_MS });
    seederEnv = externalSeederEnv(origin.url, app, SEEDER_TOKEN);
    seeder = new SeederProcess(seederEnv);
    await seeder.waitForLog('seeder joined the proxy', SEEDER_START_MS);
    await waitFor(() => app.signaling.registry.stats(0).seeders === 1, 'the seeder in the registry', WAIT_MS);
  });

  after(async () => {
    for (const peer of peers) peer.close();
    await seeder?.stop();
    await app?.close();
    await origin?.close();
    nodeDataChannel.cleanup();
  });

  async function manifestEntry(): Promise<{ id: string; sha256: string }> {
    const res = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(PHOTO_PATH)}`, app.url));
    assert.equal(res.statusCode, 200);
    const entry = ((await res.body.json()) as ManifestResponse).assets[0]!;
    return { id: entry.id!, sha256: entry.sha256! };
  }

  async function seederHolding(id: string): Promise<string> {
    const peer = await BrowserLikePeer.connect(app.url);
    peers.push(peer);
    const holders = await peer.holders(id);
    const seederId = app.signaling.registry.holders(id, 0).find((p) => p.role === 'seeder')?.id;
    assert.ok(seederId && holders.includes(seederId), 'the seeder is offered as a holder');
    return seederId;
  }

  test('the transfer fails, the registry forgets the seeder at once, the proxy keeps serving, a restarted seeder serves again', async () => {
    const { id, sha256: expected } = await manifestEntry();
    assert.equal(expected, sha256(PHOTO));

    // 1. A peer fetch from the seeder; the seeder is killed once the first bytes arrived.
    const asker = await BrowserLikePeer.connect(app.url);
    peers.push(asker);
    const seederId = app.signaling.registry.holders(id, 0).find((p) => p.role === 'seeder')?.id;
    assert.ok(seederId);
    assert.ok((await asker.holders(id)).includes(seederId));
    let killing: Promise<void> | undefined;
    let receivedAtKill = 0;
    const outcome = await asker.fetch(seederId, id, new URL(PHOTO_PATH, app.url).href, (received) => {
      if (killing) return;
      receivedAtKill = received;
      killing = seeder.kill();
    }).then(({ bytes }) => `complete ${bytes.length}`, (err: Error) => `failed: ${err.message}`);
    await killing;
    assert.ok(receivedAtKill > 0 && receivedAtKill < PHOTO.length, `killed mid-transfer (${receivedAtKill} of ${PHOTO.length} bytes)`);
    assert.match(outcome, /^failed/, 'the peer transfer cannot complete');

    // 2. The registry drops the seeder (and the assets it implicitly held) on the socket close, long before a heartbeat could.
    await waitFor(() => app.signaling.registry.stats(0).seeders === 0, 'the registry forgetting the killed seeder', FORGET_MS);
    assert.deepEqual(app.signaling.registry.holders(id, 10), []);
    const late = await BrowserLikePeer.connect(app.url);
    peers.push(late);
    assert.deepEqual(await late.holders(id), [], 'nobody is offered the dead seeder');

    // 3. The fallback: the same image over HTTP through the proxy, byte-exact; the manifest still answers.
    const http = await request(new URL(PHOTO_PATH, app.url));
    assert.equal(http.statusCode, 200);
    assert.equal(sha256(Buffer.from(await http.body.arrayBuffer())), expected);
    assert.equal((await manifestEntry()).sha256, expected);

    // 4. Restarted (as compose's restart policy does): it joins again, is offered again, and serves the whole image.
    seeder = new SeederProcess(seederEnv);
    await seeder.waitForLog('seeder joined the proxy', SEEDER_START_MS);
    await waitFor(() => app.signaling.registry.stats(0).seeders === 1, 'the restarted seeder in the registry', WAIT_MS);
    const newId = await seederHolding(id);
    assert.notEqual(newId, seederId);
    const again = await BrowserLikePeer.connect(app.url);
    peers.push(again);
    assert.ok((await again.holders(id)).includes(newId));
    const { bytes } = await again.fetch(newId, id, new URL(PHOTO_PATH, app.url).href);
    assert.equal(sha256(bytes), expected);
  });
});
