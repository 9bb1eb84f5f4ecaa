import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../core/utils/rate-limiter.js';

test('rate limiter: a cost takes that many tokens; Retry-After counts up to that cost', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 10, perSecond: 2, maxClients: 4, now: () => now });
  assert.equal(limiter.take('a', 8), true);
  assert.equal(limiter.take('a', 4), false, 'only 2 tokens left');
  assert.equal(limiter.retryAfterSeconds('a', 4), 1);
  assert.equal(limiter.retryAfterSeconds('a', 10), 4);
  assert.equal(limiter.take('b', 10), true, 'addresses have their own buckets');
  now = 1000;
  assert.equal(limiter.take('a', 4), true);
});
