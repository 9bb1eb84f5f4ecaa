import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ByteCache, readAll } from '../../seeder/cache/byte-cache.js';

async function store(cache: ByteCache, key: string, bytes: Buffer): Promise<void> {
  const writer = await cache.writer();
  for (let i = 0; i < bytes.length; i += 64 * 1024) await writer.write(bytes.subarray(i, i + 64 * 1024));
  cache.set(key, await writer.end());
}

test('inserting more than maxBytes evicts the least recently used and keeps the total bounded', async () => {
  const sizes: number[] = [];
  const cache = new ByteCache({ maxBytes: 1_000_000, spillBytes: 200_000, onSize: (bytes) => sizes.push(bytes) });
  try {
    for (let i = 0; i < 10; i++) await store(cache, `k${i}`, Buffer.alloc(150_000, i));
    assert.ok(cache.totalBytes <= 1_000_000);
    assert.equal(cache.peek('k0'), undefined);
    assert.ok(cache.peek('k9'));
    assert.ok(sizes.every((s) => s <= 1_000_000));
  } finally {
    await cache.close();
  }
});

test('large bodies spill to files that are removed on eviction and on close', async () => {
  const cache = new ByteCache({ maxBytes: 1_000_000, spillBytes: 100_000 });
  await store(cache, 'big1', Buffer.alloc(600_000, 1));
  const body = cache.peek('big1');
  assert.equal(body?.kind, 'file');
  const path = body.kind === 'file' ? body.path : '';
  assert.ok(existsSync(path));
  assert.ok((await readAll(body)).equals(Buffer.alloc(600_000, 1)));
  await store(cache, 'big2', Buffer.alloc(600_000, 2));
  assert.equal(cache.peek('big1'), undefined);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(existsSync(path), false);
  const second = cache.peek('big2');
  await cache.close();
  assert.equal(existsSync(second?.kind === 'file' ? second.path : '/nonexistent'), false);
});

test('a body bigger than the whole cache is not stored', async () => {
  const cache = new ByteCache({ maxBytes: 100_000, spillBytes: 10_000 });
  try {
    await store(cache, 'huge', Buffer.alloc(200_000));
    assert.equal(cache.peek('huge'), undefined);
    assert.equal(cache.totalBytes, 0);
  } finally {
    await cache.close();
  }
});

test('RSS stays bounded while far more than maxBytes passes through the cache', async () => {
  const cache = new ByteCache({ maxBytes: 8 * 1024 * 1024, spillBytes: 4 * 1024 * 1024 });
  try {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 20; i++) await store(cache, `warm${i}`, Buffer.from(chunk));
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) await store(cache, `k${i}`, Buffer.from(chunk));
    global.gc?.();
    const grown = process.memoryUsage().rss - baseline;
    assert.ok(cache.totalBytes <= 8 * 1024 * 1024);
    // 200 MiB went through; what stays is the 8 MiB bound plus allocator slack.
    assert.ok(grown < 100 * 1024 * 1024, `rss grew ${grown} bytes`);
  } finally {
    await cache.close();
  }
});
