import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ICE_DEADLINE_DEFAULT_MS, ICE_DEADLINE_MAX_MS, ICE_DEADLINE_MIN_MS, ICE_DEADLINE_RTT_FACTOR, iceDeadlineMs,
} from '../../client/peer/ice-deadline.js';

test('ICE deadline: measured round trip × factor, clamped to [min, max]', () => {
  const mid = (ICE_DEADLINE_MIN_MS + ICE_DEADLINE_MAX_MS) / 2 / ICE_DEADLINE_RTT_FACTOR;
  assert.equal(iceDeadlineMs(mid), Math.round(mid * ICE_DEADLINE_RTT_FACTOR));
  assert.equal(iceDeadlineMs(0), ICE_DEADLINE_MIN_MS, 'loopback round trips still get the minimum');
  assert.equal(iceDeadlineMs(1), ICE_DEADLINE_MIN_MS);
  assert.equal(iceDeadlineMs(60_000), ICE_DEADLINE_MAX_MS, 'a very slow welcome never waits longer than the maximum');
  assert.ok(ICE_DEADLINE_MIN_MS <= ICE_DEADLINE_DEFAULT_MS && ICE_DEADLINE_DEFAULT_MS <= ICE_DEADLINE_MAX_MS);
});

test('ICE deadline: grows with the round trip (monotonic)', () => {
  let last = 0;
  for (let rtt = 0; rtt <= 2_000; rtt += 25) {
    const deadline = iceDeadlineMs(rtt);
    assert.ok(deadline >= last, `rtt ${rtt}`);
    last = deadline;
  }
});

test('ICE deadline: no or nonsense measurement gives the default', () => {
  for (const rtt of [undefined, Number.NaN, -5, Number.POSITIVE_INFINITY]) assert.equal(iceDeadlineMs(rtt), ICE_DEADLINE_DEFAULT_MS, String(rtt));
});
