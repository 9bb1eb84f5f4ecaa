import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchGate, FetchGateFullError } from '../../seeder/index/fetch-gate.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('fetch gate: never more than maxConcurrent tasks run; waiters start as slots free', async () => {
  const gate = new FetchGate({ maxConcurrent: 2, maxQueued: 10 });
  let running = 0;
  let most = 0;
  const releases = Array.from({ length: 6 }, deferred);
  const tasks = releases.map((d) => gate.run(async () => {
    running++;
    most = Math.max(most, running);
    await d.promise;
    running--;
  }));
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.active, 2);
  assert.equal(gate.queued, 4);
  for (const d of releases) {
    d.resolve();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(tasks);
  assert.equal(most, 2);
  assert.equal(gate.active, 0);
  assert.equal(gate.queued, 0);
});

test('fetch gate: a full queue refuses at once, and a failing task frees its slot', async () => {
  const gate = new FetchGate({ maxConcurrent: 1, maxQueued: 1 });
  const hold = deferred();
  const first = gate.run(() => hold.promise);
  const second = gate.run(async () => 'second');
  await assert.rejects(gate.run(async () => 'third'), FetchGateFullError);
  hold.resolve();
  await first;
  assert.equal(await second, 'second');
  await assert.rejects(gate.run(async () => { throw new Error('origin down'); }), /origin down/);
  assert.equal(gate.active, 0);
  assert.equal(await gate.run(async () => 'after'), 'after');
});
