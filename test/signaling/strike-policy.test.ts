import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_STRIKES, STRIKE_DECAY_MS, StrikeCounter } from '../../proxy/signaling/strike-policy.js';

test('strike policy: strikes in a quick row are answered until the MAX_STRIKES-th, which closes', () => {
  const strikes = new StrikeCounter();
  for (let i = 1; i < MAX_STRIKES; i++) assert.equal(strikes.add(i), 'answer', `strike ${i}`);
  assert.equal(strikes.add(MAX_STRIKES), 'close');
  assert.equal(strikes.strikes, MAX_STRIKES);
});

test('strike policy: one strike is forgiven per STRIKE_DECAY_MS, so one strike per interval never closes', () => {
  const strikes = new StrikeCounter();
  for (let i = 0; i < MAX_STRIKES * 4; i++) assert.equal(strikes.add(i * STRIKE_DECAY_MS), 'answer', `strike ${i}`);
  assert.equal(strikes.strikes, 1);
});

test('strike policy: only whole intervals are forgiven, and a long quiet spell never goes below zero', () => {
  const strikes = new StrikeCounter();
  for (let i = 0; i < MAX_STRIKES - 1; i++) strikes.add(0);
  // Just short of one interval: nothing forgiven, so this strike is the closing one.
  assert.equal(strikes.add(STRIKE_DECAY_MS - 1), 'close');

  const rested = new StrikeCounter();
  for (let i = 0; i < MAX_STRIKES - 1; i++) rested.add(0);
  assert.equal(rested.add(STRIKE_DECAY_MS), 'answer', 'one forgiven, so 15 again instead of 16');
  assert.equal(rested.strikes, MAX_STRIKES - 1);
  rested.add(STRIKE_DECAY_MS * 1_000);
  assert.equal(rested.strikes, 1);
});
