import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDemoSite } from '../../proxy/demo/demo-site.js';
import { StaticOrigin } from '../../proxy/demo/static-origin.js';
import type { RunningApp } from '../../proxy/app.js';
import { clusterKeys } from '../../proxy/cluster/cluster-keys.js';
import { startProxy } from '../helpers/proxy.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const WAIT_MS = 10_000;
let redis: RunningRedis;
let origin: StaticOrigin;
let originUrl: URL;
let a: RunningApp;
let b: RunningApp;

before(async () => {
  redis = await startRedis();
  origin = new StaticOrigin(buildDemoSite());
  originUrl = await origin.listen(0, '127.0.0.1');
  // One public address for both, as behind one load balancer: asset ids are derived from it.
  const env = { ORIGIN: originUrl.href.replace(/\/$/, ''), REDIS_URL: redis.url, EDGE_CACHE: 'off', PUBLIC_URL: 'http://www.example.test' };
  a = await startProxy(env);
  b = await startProxy(env);
  await waitFor(() => a.cluster?.redisState === 'up' && b.cluster?.redisState === 'up', 'both on Redis', WAIT_MS);
});

after(async () => {
  await a.close();
  await b.close();
  await origin.close();
  await redis.dispose();
});

const originHits = (path: string): number => origin.accessLog.filter((entry) => entry.path === path).length;

async function manifest(app: RunningApp, path: string): Promise<{ id: string; sha256?: string; size?: number; p2p: boolean }> {
  const res = await fetch(new URL(`/__p2p/manifest?u=${encodeURIComponent(path)}`, app.url));
  assert.equal(res.status, 200);
  const body = await res.json() as { assets: { id: string; sha256?: string; size?: number; p2p: boolean }[] };
  return body.assets[0] as { id: string; sha256?: string; size?: number; p2p: boolean };
}

const pick = (record: { width?: number; height?: number } | undefined): { width?: number; height?: number } => ({ width: record?.width, height: record?.height });

test('redis: an image hashed by one instance is described by the other without an origin fetch; bytes are fetched only to serve them', async () => {
  const path = '/images/photo-01.png';
  const first = await manifest(a, path);
  assert.equal(originHits(path), 1);
  assert.match(first.sha256 ?? '', /^[0-9a-f]{64}$/);
  // The write to Redis is fire-and-forget: wait until it is there rather than race it.
  const key = clusterKeys().manifest(createHash('sha256').update(new URL(path, originUrl).href).digest('hex'));
  const deadline = Date.now() + WAIT_MS;
  while (await a.cluster?.link.command.exists(key) !== 1) {
    assert.ok(Date.now() < deadline, 'the manifest reached Redis');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const second = await manifest(b, path);
  assert.deepEqual(second, first, 'same manifest on both instances');
  assert.equal(originHits(path), 1, 'the second instance did not fetch the image to describe it');
  // The image's intrinsic size (for the page config) comes along.
  const [width, height] = [160, 120];
  assert.deepEqual(pick(a.seeder.index.recordById(first.id)), { width, height });
  assert.deepEqual(pick(b.seeder.index.recordById(first.id)), { width, height });
  // Serving the bytes (webseed) needs them here: one origin fetch, and the bytes match the shared hash.
  const res = await fetch(new URL(`/__p2p/seed/${second.id}`, b.url));
  assert.equal(res.status, 200);
  assert.equal(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), first.sha256);
  assert.equal(originHits(path), 2);
});

test('redis: with Redis down each instance hashes for itself, and manifests still answer', async () => {
  await redis.kill();
  await waitFor(() => a.cluster?.redisState === 'down' && b.cluster?.redisState === 'down', 'both noticed', WAIT_MS);
  const path = '/images/photo-02.png';
  const fromA = await manifest(a, path);
  const fromB = await manifest(b, path);
  assert.equal(fromA.sha256, fromB.sha256);
  assert.equal(originHits(path), 2, 'each instance fetched it');
  await redis.restart();
  await waitFor(() => a.cluster?.redisState === 'up' && b.cluster?.redisState === 'up', 'both back', WAIT_MS);
});
