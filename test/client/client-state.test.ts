import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validEntry } from '../../client/images/manifest-client.js';
import { ASSET_ID_LENGTH } from '../../protocol/asset-id.js';
import { AssetStore } from '../../client/store/asset-store.js';
import { UploadPolicy } from '../../client/peer/upload-policy.js';
import { HolderDirectory } from '../../client/signal/holder-directory.js';

const SHA = 'a'.repeat(64);

test('validEntry keeps well-formed fields only', () => {
  const id = 'abc_-1'.padEnd(ASSET_ID_LENGTH, 'x');
  const entry = validEntry({ id, size: 10, sha256: SHA, infoHash: 'F'.repeat(40), contentType: 'image/png', extra: 1 }, '/x.png');
  assert.deepEqual(entry, { url: '/x.png', id, size: 10, sha256: SHA, infoHash: 'f'.repeat(40), contentType: 'image/png' });
  assert.deepEqual(validEntry({ id: '../etc', size: -1, sha256: 'zz' }, '/y'), { url: '/y' });
  assert.deepEqual(validEntry({ id: 'abc_-1' }, '/short'), { url: '/short' }, 'an id shorter than an asset id is dropped');
  assert.equal(validEntry(undefined, '/z').error, 'origin-error');
});

test('AssetStore evicts least recently used past its byte bound and reports it', () => {
  const evicted: string[][] = [];
  const store = new AssetStore((ids) => evicted.push(ids), 10);
  store.put({ id: 'a', url: '/a', bytes: new Uint8Array(4), type: '' });
  store.put({ id: 'b', url: '/b', bytes: new Uint8Array(4), type: '' });
  store.get('a');
  store.put({ id: 'c', url: '/c', bytes: new Uint8Array(4), type: '' });
  assert.deepEqual(evicted, [['b']]);
  assert.deepEqual(store.ids.sort(), ['a', 'c']);
  assert.equal(store.totalBytes, 8);
  assert.equal(store.put({ id: 'huge', url: '/h', bytes: new Uint8Array(11), type: '' }), false);
});

test('UploadPolicy bounds concurrency and budget, and declines when paused or not held', () => {
  const store = new AssetStore(() => undefined);
  store.put({ id: 'a', url: '/a', bytes: new Uint8Array(100), type: '' });
  const uploaded: number[] = [];
  const policy = new UploadPolicy(store, (_id, n) => uploaded.push(n), 1, 150);
  assert.equal(policy.decide('missing').decline, 'not-held');
  const first = policy.decide('a');
  assert.ok(first.bytes);
  assert.equal(policy.decide('a').decline, 'busy');
  first.done?.(100);
  first.done?.(100);
  assert.deepEqual(uploaded, [100]);
  assert.equal(policy.decide('a').decline, 'busy', 'budget of 150 bytes cannot fit another 100');
  policy.paused = true;
  assert.equal(policy.decide('a').decline, 'closing');
});

test('HolderDirectory batches wants per task and resolves on holders or timeout', async () => {
  const sent: string[][] = [];
  const directory = new HolderDirectory((assets) => sent.push(assets));
  const a = directory.holders('a', 1_000);
  const a2 = directory.holders('a', 1_000);
  const b = directory.holders('b', 100);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(sent, [['a', 'b']]);
  directory.onHolders('a', ['p1']);
  assert.deepEqual(await a, ['p1']);
  assert.deepEqual(await a2, ['p1']);
  assert.deepEqual(await b, []);
});
