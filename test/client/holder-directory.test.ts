import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HolderDirectory } from '../../client/signal/holder-directory.js';

const A = 'AAAAAAAAAAAAAAAAAAAAAA';
const B = 'BBBBBBBBBBBBBBBBBBBBBB';

test('an early want goes out at once in one message, and its answer serves the first holders() call without a second want', async () => {
  const sent: string[][] = [];
  const early: [string, string[]][] = [];
  const dir = new HolderDirectory((assets) => sent.push(assets), (asset, peers) => early.push([asset, peers]));
  dir.wantEarly([A, B, A]);
  assert.deepEqual(sent, [[A, B]]);
  dir.onHolders(A, ['p1']);
  assert.deepEqual(early, [[A, ['p1']]]);
  assert.deepEqual(await dir.holders(A), ['p1']);
  assert.equal(sent.length, 1, 'answered from the early want');
  // Used once: a retry asks signaling again.
  const again = dir.holders(A, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(sent[1], [A]);
  dir.onHolders(A, ['p2']);
  assert.deepEqual(await again, ['p2']);
});

test('an early answer naming nobody leads to an ordinary want; one not in yet is waited for, not asked again', async () => {
  const sent: string[][] = [];
  const dir = new HolderDirectory((assets) => sent.push(assets));
  dir.wantEarly([A, B]);
  dir.onHolders(A, []);
  const a = dir.holders(A, 1_000);
  const b = dir.holders(B, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(sent, [[A, B], [A]], 'B is still being answered: no second want for it');
  // The early answer for B arrives now: it answers the waiting call.
  dir.onHolders(B, ['p3']);
  dir.onHolders(A, ['p4']);
  assert.deepEqual(await a, ['p4']);
  assert.deepEqual(await b, ['p3']);
  // That answer was used once: the next call for B asks again.
  const again = dir.holders(B, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(sent[2], [B]);
  dir.onHolders(B, ['p5']);
  assert.deepEqual(await again, ['p5']);
});

test('a call that joined an early want which is never answered times out, and the next call asks again', async () => {
  const sent: string[][] = [];
  const dir = new HolderDirectory((assets) => sent.push(assets));
  dir.wantEarly([A]);
  assert.deepEqual(await dir.holders(A, 60), []);
  assert.equal(sent.length, 1);
  const next = dir.holders(A, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(sent[1], [A]);
  dir.onHolders(A, ['p1']);
  assert.deepEqual(await next, ['p1']);
});

test('failAll forgets early answers', async () => {
  const sent: string[][] = [];
  const dir = new HolderDirectory((assets) => sent.push(assets));
  dir.wantEarly([A]);
  dir.onHolders(A, ['p1']);
  dir.failAll();
  const pending = dir.holders(A, 60);
  assert.deepEqual(await pending, []);
  assert.equal(sent.length, 2);
});

test('an answer naming nobody but busy holders is remembered until the next answer for that asset', async () => {
  const dir = new HolderDirectory(() => undefined);
  const first = dir.holders(A, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 40));
  dir.onHolders(A, [], 2);
  assert.deepEqual(await first, []);
  assert.equal(dir.holdersBusy(A), true);
  assert.equal(dir.holdersBusy(B), false);
  const second = dir.holders(A, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 40));
  dir.onHolders(A, ['p1']);
  assert.deepEqual(await second, ['p1']);
  assert.equal(dir.holdersBusy(A), false, 'a holder named: no longer waiting for a slot');
  dir.onHolders(B, [], 1);
  dir.failAll();
  assert.equal(dir.holdersBusy(B), false, 'signaling gone: nothing to wait for');
});
