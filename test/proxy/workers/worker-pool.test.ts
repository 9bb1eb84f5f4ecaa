import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../core/config/load-config.js';
import { configForWorker, workerIndex } from '../../../proxy/workers/worker-pool.js';

const REDIS = 'redis://127.0.0.1:6379';

test('worker config: only worker 1 runs the embedded seeder; the rest is the primary\'s config', () => {
  const config = loadConfig({ WORKERS: '3', REDIS_URL: REDIS });
  assert.equal(configForWorker(config, 1), config);
  const second = configForWorker(config, 2);
  assert.equal(second.seederMode, 'off');
  assert.deepEqual({ ...second, seederMode: config.seederMode }, { ...config });
  assert.ok(Object.isFrozen(second));
});

test('worker config: an external or absent seeder is left as configured in every worker', () => {
  for (const mode of ['external', 'off'] as const) {
    const config = loadConfig({ WORKERS: '2', REDIS_URL: REDIS, SEEDER_MODE: mode });
    assert.equal(configForWorker(config, 2).seederMode, mode);
  }
});

test('worker index: undefined outside a node:cluster worker, whatever the environment says', () => {
  process.env.PEERCONNECT_WORKER = '2';
  try {
    assert.equal(workerIndex(), undefined);
  } finally {
    delete process.env.PEERCONNECT_WORKER;
  }
});
