import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadBudget } from '../../seeder/peer/upload-budget.js';

test('grants up to one second of budget, then asks to wait in proportion to the deficit', () => {
  let now = 0;
  const budget = new UploadBudget(1_000_000, () => now);
  assert.equal(budget.take(600_000), 0);
  assert.equal(budget.take(400_000), 0);
  assert.equal(budget.take(100_000), 100);
  now += 50;
  assert.equal(budget.take(100_000), 50);
  now += 50;
  assert.equal(budget.take(100_000), 0);
});

test('idle time refills only up to the burst', () => {
  let now = 0;
  const budget = new UploadBudget(100_000, () => now);
  assert.equal(budget.take(100_000), 0);
  now += 60_000;
  assert.equal(budget.take(100_000), 0);
  assert.ok(budget.take(16_384) > 0);
});

test('a budget below one frame still lets frames through, slowly', () => {
  let now = 0;
  const budget = new UploadBudget(1_000, () => now);
  for (let i = 0; i < 4; i++) assert.equal(budget.take(16_384), 0);
  const wait = budget.take(16_384);
  assert.ok(wait > 1_000, `wait ${wait}`);
  now += wait;
  assert.equal(budget.take(16_384), 0);
});
