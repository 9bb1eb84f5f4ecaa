import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { buildDemoSite } from '../../../proxy/demo/demo-site.js';
import { Redis } from 'ioredis';
import { clusterKeys } from '../../../proxy/cluster/cluster-keys.js';
import { freePort, startNginx, demoSiteRoot, type RunningNginx } from '../../helpers/nginx.js';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { within } from '../../helpers/wait.js';
import { SignalTestClient } from '../../signaling/signal-test-client.js';
import { alive, CliProcess, getFresh, until } from './cli-process.js';

/**
 * WORKERS=2: the CLI as in production (its own process, so SIGTERM is real),
 * two node:cluster workers sharing PORT, each an instance on one real
 * redis-server. Connections are dealt round robin, so a test finds which worker
 * answered by the instance id in /readyz and by the Redis hash that lists each
 * instance's peers.
 */
const EXIT_MS = 30_000;
/** Connections tried before concluding the workers do not share the port (round robin lands the second on the other worker). */
const TRIES = 20;

const keys = clusterKeys();
let root: string;
let origin: RunningNginx;
let redis: RunningRedis;
let redisClient: Redis;
let proxy: CliProcess;
let proxyUrl: URL;
const clients: SignalTestClient[] = [];

const get = (path: string) => getFresh(new URL(path, proxyUrl));

/** Which instance lists this peer in Redis. */
async function instanceOf(peerId: string, instances: string[]): Promise<string | undefined> {
  for (const instance of instances) {
    if (await redisClient.hexists(keys.peers(instance), peerId)) return instance;
  }
  return undefined;
}

before(async () => {
  root = await demoSiteRoot('pc-workers-site-');
  origin = await startNginx({ root });
  redis = await startRedis();
  redisClient = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redisClient.connect();
  const port = await freePort();
  proxyUrl = new URL(`http://127.0.0.1:${port}/`);
  proxy = new CliProcess({
    WORKERS: '2', REDIS_URL: redis.url, ORIGIN: origin.url.href.replace(/\/$/, ''), PORT: String(port),
    STUN_PORT: 'off', P2P_THRESHOLD: '1', SIGNAL_MAX_PEERS_PER_IP: '64',
  });
  await proxy.running();
});

after(async () => {
  for (const client of clients) client.close();
  await proxy?.kill();
  await redisClient?.quit().catch(() => undefined);
  await redis?.dispose();
  await origin?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

let instances: string[] = [];

test('workers: both answer on the one PORT, each a Redis instance of its own (distinct ids on /readyz)', async () => {
  assert.equal(proxy.workerPids().length, 2, 'the primary saw two workers ready');
  const seen = new Set<string>();
  for (let i = 0; i < TRIES && seen.size < 2; i++) {
    const res = await get('/__p2p/readyz');
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body.toString()) as { status: string; redis: string; instance: string };
    assert.equal(body.status, 'ready');
    assert.equal(body.redis, 'up');
    seen.add(body.instance);
  }
  instances = [...seen];
  assert.equal(instances.length, 2, 'two instance ids');
  assert.deepEqual((await redisClient.smembers(keys.instances)).sort(), [...instances].sort());
  // The primary printed one banner for both.
  assert.equal(proxy.log.split('PeerConnect is proxying').length - 1, 1);
  assert.match(proxy.log, /workers: {3}2 \(node:cluster/);
});

test('workers: pages and images proxy correctly on each worker', async () => {
  const site = buildDemoSite();
  const prefixes = new Set<string>();
  for (let i = 0; i < TRIES && prefixes.size < 2; i++) {
    const page = await get('/');
    assert.equal(page.status, 200);
    const html = page.body.toString();
    assert.match(html, /<script[^>]+__p2p\/client/, 'the client is injected');
    // The request id starts with a per-process prefix: it tells the workers apart.
    prefixes.add(String(page.headers['x-request-id']).split('-')[0] as string);
  }
  assert.equal(prefixes.size, 2, 'the page was served by both workers');
  const image = [...site.keys()].find((path) => /\.(png|jpe?g|webp)$/.test(path)) as string;
  for (let i = 0; i < 4; i++) {
    const res = await get(image);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(Buffer.from(site.get(image)?.body as Uint8Array)), `${image}: the origin's bytes`);
  }
});

test('workers: the embedded seeder runs in one worker only', async () => {
  const seeders = await until(async () => {
    let count = 0;
    for (const instance of instances) {
      for (const record of Object.values(await redisClient.hgetall(keys.peers(instance)))) {
        if ((JSON.parse(record) as { role: string }).role === 'seeder') count++;
      }
    }
    return count > 0 ? count : undefined;
  }, 'the seeder joined');
  assert.equal(seeders, 1);
  assert.doesNotMatch(proxy.log, /signaling refused the seeder/);
});

test('workers: a visitor on one worker is paired with a holder on the other, SDP/ICE relayed both ways', async () => {
  const holder = await SignalTestClient.connect(proxyUrl);
  clients.push(holder);
  const holderOn = await until(() => instanceOf(holder.id, instances), 'the holder is listed in Redis');
  holder.send({ type: 'have', assets: ['workers1'] });
  let asker: SignalTestClient | undefined;
  for (let i = 0; i < TRIES && !asker; i++) {
    const candidate = await SignalTestClient.connect(proxyUrl);
    clients.push(candidate);
    const on = await until(() => instanceOf(candidate.id, instances), 'the asker is listed in Redis');
    if (on !== holderOn) asker = candidate;
  }
  assert.ok(asker, 'a signaling socket landed on the other worker');
  // Its worker learns of the holder through Redis, one hop behind.
  const holders = await until(async () => {
    const found = await asker.holders('workers1');
    return found.length > 0 ? found : undefined;
  }, 'the other worker sees the holder');
  // Browsers first; the embedded seeder (in worker 1) may follow.
  assert.equal(holders[0], holder.id);
  asker.send({ type: 'offer', to: holder.id, session: 'w1', sdp: 'v=0 offer' });
  assert.equal((await holder.next('offer')).from, asker.id);
  holder.send({ type: 'answer', to: asker.id, session: 'w1', sdp: 'v=0 answer' });
  assert.equal((await asker.next('answer')).sdp, 'v=0 answer');
  holder.send({ type: 'candidate', to: asker.id, session: 'w1', candidate: 'candidate:1 1 udp 1 198.18.0.1 4000 typ host', mid: '0' });
  assert.equal((await asker.next('candidate')).from, holder.id);
});

test('workers: SIGTERM stops every worker cleanly (exit 0, peers removed from Redis, no process left)', async () => {
  const pids = proxy.workerPids();
  proxy.child.kill('SIGTERM');
  const { code, signal } = await within(proxy.exited(), 'the primary exits', EXIT_MS);
  assert.equal(signal, null);
  assert.equal(code, 0, proxy.log.slice(-3000));
  for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} is gone`);
  for (const instance of instances) assert.equal(await redisClient.hlen(keys.peers(instance)), 0, `${instance} left no peers in Redis`);
  assert.equal(proxy.log.match(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/g)?.length, 3, 'the primary and both workers drained');
});

test('workers: WORKERS=2 without REDIS_URL stops the start naming both keys', async () => {
  const refused = new CliProcess({ WORKERS: '2', PORT: '0' });
  const { code } = await within(refused.exited(), 'the refused start exits', EXIT_MS);
  assert.equal(code, 2);
  assert.match(refused.log, /WORKERS=2: expected REDIS_URL as well/);
});
