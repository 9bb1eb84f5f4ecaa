import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../core/config/load-config.js';
import { ConfigError } from '../../../core/errors.js';

const REDIS = 'redis://127.0.0.1:6379';

test('WORKERS: one process by default; several with REDIS_URL', () => {
  assert.equal(loadConfig({}).workers, 1);
  assert.equal(loadConfig({ WORKERS: '4', REDIS_URL: REDIS }).workers, 4);
  assert.equal(loadConfig({ REDIS_URL: REDIS }, { workers: '2' }).workers, 2);
});

test('WORKERS: a value that is not an integer from 1 to 64 names the key and the range', () => {
  for (const bad of ['0', '-1', '65', '1.5', 'two', '2e1']) {
    assert.throws(() => loadConfig({ WORKERS: bad, REDIS_URL: REDIS }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^WORKERS="${bad.replace('.', '\\.')}": expected an integer from 1 to 64$`));
      return true;
    });
  }
});

test('WORKERS above 1 needs REDIS_URL: without it visitors on different workers would never be paired', () => {
  assert.throws(() => loadConfig({ WORKERS: '2' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^WORKERS=2: expected REDIS_URL as well/);
    return true;
  });
  assert.equal(loadConfig({ WORKERS: '1' }).workers, 1);
});

test('WORKERS above 1 is refused with ACME_DOMAINS (one order, one challenge responder)', () => {
  assert.throws(() => loadConfig({ WORKERS: '2', REDIS_URL: REDIS, ACME_DOMAINS: 'example.com' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^WORKERS=2: not with ACME_DOMAINS/);
    return true;
  });
});
