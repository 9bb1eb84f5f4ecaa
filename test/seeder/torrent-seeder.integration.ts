import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeDataChannel from 'node-datachannel';
import { WebSocketServer } from 'ws';
import { TorrentSeeder } from '../../seeder/peer/torrent-seeder.js';
import { TorrentStore } from '../../seeder/torrent/torrent-store.js';
import { within } from '../helpers/wait.js';
import { pseudoRandomBytes } from './counting-origin.js';

const WAIT_MS = 10_000;
const VIDEO = pseudoRandomBytes(300_000, 7);

after(() => nodeDataChannel.cleanup());


test('close() while a seed waits for its first tracker answer: the seed resolves undefined and nothing is seeded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-torrent-seeder-'));
  // A tracker that takes announces and never answers, so the seed job stays in its first-announce wait.
  const tracker = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => tracker.once('listening', () => resolve()));
  const announced = new Promise<void>((resolve) => tracker.on('connection', (ws) => ws.once('message', () => resolve())));
  const { port } = tracker.address() as { port: number };
  const store = new TorrentStore(join(dir, 'store'), '/__p2p');
  const seeder = new TorrentSeeder({
    trackerUrl: `ws://127.0.0.1:${port}`, iceServers: [], uploadBytesPerSec: 10 * 1024 * 1024,
    dataDir: join(dir, 'data'), maxPeers: 4,
  });
  try {
    const parsed = await store.create({ id: 'v'.repeat(22), name: 'v.mp4', input: VIDEO }, VIDEO.length);
    const seeding = seeder.seed(await readFile(store.pathOf(parsed.infoHash)), { kind: 'memory', size: VIDEO.length, data: VIDEO });
    await within(announced, 'first announce', WAIT_MS);
    await seeder.close();
    assert.equal(await within(seeding, 'seed settled', WAIT_MS), undefined);
    assert.deepEqual(seeder.infoHashes, []);
    assert.equal(await seeder.seed(await readFile(store.pathOf(parsed.infoHash)), { kind: 'memory', size: VIDEO.length, data: VIDEO }), undefined,
      'a seed asked for after close() starts nothing');
  } finally {
    await seeder.close();
    for (const ws of tracker.clients) ws.terminate();
    tracker.close();
    await rm(dir, { recursive: true, force: true });
  }
});
