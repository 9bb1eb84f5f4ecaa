import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECONNECT_BASE_MS, RECONNECT_CAP_MS, RECONNECT_MAX_ATTEMPTS, RECONNECT_SPREAD_MS, reconnectDelayMs } from '../../client/signal/backoff.js';

test('reconnect delay: full jitter below a ceiling that doubles from the base up to the cap', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** attempt);
    assert.equal(reconnectDelayMs(attempt, () => 0), 0, `attempt ${attempt}: the draw may be zero`);
    const top = reconnectDelayMs(attempt, () => 0.999_999);
    assert.ok(top < ceiling && top >= ceiling - 1, `attempt ${attempt}: ${top} just below ${ceiling}`);
    assert.equal(reconnectDelayMs(attempt, () => 0.5), Math.floor(ceiling / 2));
  }
  assert.equal(Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** 40), RECONNECT_CAP_MS, 'the ceiling stops at the cap');
  assert.ok(reconnectDelayMs(1_000, () => 0.999_999) < RECONNECT_CAP_MS, 'large attempt numbers stay under the cap');
});

test('reconnect delay: draws spread over the whole range, not clustered at the ceiling', () => {
  const attempt = 3;
  const ceiling = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** attempt);
  const draws = Array.from({ length: 2_000 }, () => reconnectDelayMs(attempt));
  assert.ok(draws.every((d) => Number.isInteger(d) && d >= 0 && d < ceiling));
  // Every quarter of [0, ceiling) gets a share: expected 500 each; 300 is far outside chance.
  const quarters = [0, 0, 0, 0];
  for (const d of draws) quarters[Math.floor((d / ceiling) * 4)]! += 1;
  for (const [i, n] of quarters.entries()) assert.ok(n > 300, `quarter ${i} got ${n} of 2000 draws`);
});

test('reconnect delay after a lost session: the first ceiling is the spread window, still capped', () => {
  assert.ok(RECONNECT_SPREAD_MS > RECONNECT_BASE_MS && RECONNECT_SPREAD_MS <= RECONNECT_CAP_MS);
  const top = reconnectDelayMs(0, () => 0.999_999, RECONNECT_SPREAD_MS);
  assert.ok(top >= RECONNECT_SPREAD_MS - 1 && top < RECONNECT_SPREAD_MS, `${top} just below ${RECONNECT_SPREAD_MS}`);
  assert.equal(reconnectDelayMs(0, () => 0.5, RECONNECT_SPREAD_MS), RECONNECT_SPREAD_MS / 2);
  assert.ok(reconnectDelayMs(5, () => 0.999_999, RECONNECT_SPREAD_MS) < RECONNECT_CAP_MS, 'later attempts stay under the cap');
});

test('reconnect attempts are bounded: the worst case total wait is finite and within minutes', () => {
  let worst = 0;
  for (let attempt = 0; attempt < RECONNECT_MAX_ATTEMPTS; attempt++) worst += Math.min(RECONNECT_CAP_MS, RECONNECT_SPREAD_MS * 2 ** attempt);
  assert.ok(worst <= 5 * 60_000, `worst case ${worst} ms`);
});
