import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';
import { SeederFeature } from '../../seeder/seeder-feature.js';

test('after close(), a torrent scan starts nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-seeder-peer-'));
  // Nothing listens here: the signaling client keeps retrying until closed.
  const proxyUrl = 'http://127.0.0.1:9';
  const config = loadConfig({}, { origin: proxyUrl, proxyUrl, torrentRoute: dir, logLevel: 'silent', seederMode: 'external' });
  const seeder = new SeederFeature({ config, origin: new URL(proxyUrl), logger: createLogger('silent') });
  try {
    await seeder.torrents.create({ id: 'v'.repeat(22), name: 'v.mp4', input: Buffer.alloc(50_000, 7) }, 50_000);
    const peer = await seeder.startPeer(new URL(proxyUrl));
    await seeder.close();
    assert.equal(await peer.scanTorrents(), 0);
    assert.deepEqual(peer.torrentSeeder.infoHashes, []);
  } finally {
    await seeder.close();
    await rm(dir, { recursive: true, force: true });
  }
});
