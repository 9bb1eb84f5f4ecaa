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

test('an early answer naming nobody, or one not in yet, leads to an ordinary want', async () => {
  const sent: string[][] = [];
  const dir = new HolderDirectory((assets) => sent.push(assets));
  dir.wantEarly([A, B]);
  dir.onHolders(A, []);
  const a = dir.holders(A, 1_000);
  const b = dir.holders(B, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(sent[1], [A, B]);
  // The early answer for B arrives now: it also answers the waiting call.
  dir.onHolders(B, ['p3']);
  dir.onHolders(A, ['p4']);
  assert.deepEqual(await a, ['p4']);
  assert.deepEqual(await b, ['p3']);
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
