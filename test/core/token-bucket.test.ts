import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../core/utils/token-bucket.js';

test('starts full: capacity tokens can be taken at once, then no more', () => {
  const bucket = new TokenBucket(5, 1, 1000);
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(1000), true, `token ${i}`);
  assert.equal(bucket.take(1000), false);
});

test('a refused take costs nothing', () => {
  const bucket = new TokenBucket(3, 1, 0);
  assert.equal(bucket.take(0, 2), true);
  assert.equal(bucket.take(0, 2), false);
  assert.equal(bucket.take(0, 1), true, 'the one token left is still there');
});

test('refills at ratePerSec, proportionally to elapsed time', () => {
  const bucket = new TokenBucket(10, 4, 0);
  assert.equal(bucket.take(0, 10), true);
  assert.equal(bucket.take(249), false, 'a quarter second less a millisecond: not one token yet');
  assert.equal(bucket.take(250), true);
  assert.equal(bucket.take(1250, 4), true, 'one second later: four more');
  assert.equal(bucket.take(1250), false);
});

test('idle time never fills past capacity', () => {
  const bucket = new TokenBucket(3, 100, 0);
  assert.equal(bucket.take(0, 3), true);
  assert.equal(bucket.take(60_000, 4), false);
  assert.equal(bucket.take(60_000, 3), true);
});

test('a cost above capacity is never granted', () => {
  const bucket = new TokenBucket(2, 1000, 0);
  assert.equal(bucket.take(1e9, 3), false);
  assert.equal(bucket.msUntil(1e9, 2), 0);
});

test('msUntil: 0 when the tokens are there, else the exact wait at the refill rate', () => {
  const bucket = new TokenBucket(4, 2, 0);
  assert.equal(bucket.msUntil(0, 4), 0);
  assert.equal(bucket.take(0, 4), true);
  assert.equal(bucket.msUntil(0), 500);
  assert.equal(bucket.msUntil(0, 3), 1500);
  assert.equal(bucket.msUntil(100), 400, 'time already passed counts');
  assert.equal(bucket.take(499), false);
  assert.equal(bucket.msUntil(500), 0);
  assert.equal(bucket.take(500), true);
});

test('msUntil does not take tokens', () => {
  const bucket = new TokenBucket(1, 1, 0);
  assert.equal(bucket.msUntil(0), 0);
  assert.equal(bucket.msUntil(0), 0);
  assert.equal(bucket.take(0), true);
});

test('a clock that steps back adds no tokens', () => {
  const bucket = new TokenBucket(2, 1, 10_000);
  assert.equal(bucket.take(10_000, 2), true);
  assert.equal(bucket.take(5_000), false);
  assert.equal(bucket.msUntil(5_000), 1000, 'the wait restarts from the earlier time, never negative');
});

test('fractional costs (bytes at a byte rate) are accounted exactly', () => {
  const bucket = new TokenBucket(1000, 1000, 0);
  assert.equal(bucket.take(0, 999.5), true);
  assert.equal(bucket.take(0, 0.5), true);
  assert.equal(bucket.take(0, 0.5), false);
  assert.equal(bucket.msUntil(0, 0.5), 0.5);
});
