import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';
import { SeederFeature } from '../../seeder/seeder-feature.js';

test('close() during startPeer: no peer is started afterwards', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-seeder-feature-'));
  const proxyUrl = 'http://127.0.0.1:9';
  const config = loadConfig({}, { origin: proxyUrl, proxyUrl, torrentRoute: dir, logLevel: 'silent', seederMode: 'external' });
  const seeder = new SeederFeature({ config, origin: new URL(proxyUrl), logger: createLogger('silent') });
  try {
    const starting = seeder.startPeer(new URL(proxyUrl));
    const closing = seeder.close();
    await assert.rejects(starting, /closed/);
    await closing;
    assert.equal(seeder.peer, undefined);
  } finally {
    await seeder.peer?.close();
    await rm(dir, { recursive: true, force: true });
  }
});
