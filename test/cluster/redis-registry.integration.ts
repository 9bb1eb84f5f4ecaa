import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../core/logger.js';
import { ClusterFeature } from '../../proxy/cluster/cluster-feature.js';
import { clusterKeys } from '../../proxy/cluster/cluster-keys.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { waitFor, within } from '../helpers/wait.js';

const TTL_MS = 800;
const HEARTBEAT_MS = 200;
const WAIT_MS = 10_000;
let redis: RunningRedis;
let run = 0;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.dispose();
});

async function pair(): Promise<{ a: ClusterFeature; b: ClusterFeature; prefix: string; close(): Promise<void> }> {
  const prefix = `reg${++run}:`;
  const open = async (instanceId: string): Promise<ClusterFeature> => {
    const cluster = new ClusterFeature({
      redisUrl: redis.url, logger: createLogger('silent'), instanceId, keyPrefix: prefix, instanceTtlMs: TTL_MS, heartbeatMs: HEARTBEAT_MS,
      redisOptions: { retryStrategy: () => 50 },
    });
    await cluster.start();
    await waitFor(() => cluster.redisState === 'up', `${instanceId} connected`, WAIT_MS);
    return cluster;
  };
  const a = await open('a');
  const b = await open('b');
  return { a, b, prefix, close: async () => { await a.close(); await b.close(); } };
}

test('redis: an instance that joins later loads the peers already there', async () => {
  const prefix = `late${++run}:`;
  const make = (instanceId: string) => new ClusterFeature({ redisUrl: redis.url, logger: createLogger('silent'), instanceId, keyPrefix: prefix });
  const a = make('a');
  await a.start();
  await waitFor(() => a.redisState === 'up', 'a connected', WAIT_MS);
  a.registry.join({ id: 'p1', role: 'browser', network: '10.0.0.0/24', country: 'FR' });
  a.registry.have('p1', ['img1', 'img2']);
  const b = make('b');
  try {
    await b.start();
    await waitFor(() => b.registry.holderCount('img2') === 1, 'b loaded a\'s holdings', WAIT_MS);
    assert.deepEqual(b.registry.remoteRecord('p1'), { id: 'p1', role: 'browser', network: '10.0.0.0/24', country: 'FR' });
    assert.equal(b.registry.instanceOf('p1'), 'a');
    assert.equal(a.registry.instanceOf('p1'), 'a');
  } finally {
    await a.close();
    await b.close();
  }
});

test('redis: a stopped instance takes its peers out of the others\' view at once', async () => {
  const { a, b, prefix, close } = await pair();
  try {
    a.registry.join({ id: 'p1', role: 'browser', network: 'local' });
    a.registry.have('p1', ['img']);
    await waitFor(() => b.registry.holderCount('img') === 1, 'b sees a\'s holder', WAIT_MS);
    await a.close();
    await waitFor(() => b.registry.stats(0).peers === 0, 'b forgot a\'s peers', WAIT_MS);
    const keys = clusterKeys(prefix);
    assert.deepEqual(await b.link.command.hgetall(keys.peers('a')), {});
    assert.equal(await b.link.command.sismember(keys.instances, 'a'), 0);
  } finally {
    await close();
  }
});

test('redis: a crashed instance\'s peers expire from the others\' view after its TTL', async () => {
  const { a, b, close } = await pair();
  try {
    a.registry.join({ id: 'p1', role: 'browser', network: 'local' });
    a.registry.have('p1', ['img']);
    await waitFor(() => b.registry.holderCount('img') === 1, 'b sees a\'s holder', WAIT_MS);
    // A crash: no goodbye, no more heartbeats.
    a.link.command.disconnect();
    a.link.subscriber.disconnect();
    await a.registry.close();
    const cut = Date.now();
    await waitFor(() => b.registry.holderCount('img') === 0, 'b forgot the crashed instance', WAIT_MS);
    // Not at once: only when its liveness key expired (TTL) and b's next heartbeat noticed.
    assert.ok(Date.now() - cut >= TTL_MS / 2, 'forgotten only after the liveness key expired');
    assert.equal(b.registry.instanceOf('p1'), undefined);
  } finally {
    await close();
  }
});

test('redis: killed and restarted, each instance is local-only meanwhile and shares again afterwards', async () => {
  const { a, b, close } = await pair();
  try {
    a.registry.join({ id: 'p1', role: 'browser', network: 'local' });
    a.registry.have('p1', ['img']);
    b.registry.join({ id: 'q1', role: 'browser', network: 'local' });
    await waitFor(() => b.registry.holderCount('img') === 1 && a.registry.stats(0).peers === 2, 'both see each other', WAIT_MS);
    await redis.kill();
    await waitFor(() => a.redisState === 'down' && b.redisState === 'down', 'both noticed', WAIT_MS);
    assert.equal(b.registry.holderCount('img'), 0, 'remote holders are not offered while Redis is down');
    assert.equal(a.registry.holderCount('img'), 1, 'local holders still are');
    // Changes made during the outage reach the others after it.
    a.registry.have('p1', ['img2']);
    b.registry.join({ id: 'q2', role: 'browser', network: 'local' });
    await redis.restart();
    await waitFor(() => a.redisState === 'up' && b.redisState === 'up', 'both reconnected', WAIT_MS);
    await waitFor(() => b.registry.holderCount('img2') === 1 && a.registry.stats(0).peers === 3, 'shared again, outage changes included', WAIT_MS);
    assert.equal(b.registry.holderCount('img'), 1);
    assert.equal(a.registry.instanceOf('q2'), 'b');
  } finally {
    await close();
  }
});

test('redis: malformed events on the channel are ignored', async () => {
  const { a, b, prefix, close } = await pair();
  try {
    const keys = clusterKeys(prefix);
    await a.link.command.publish(keys.events, 'not json');
    await a.link.command.publish(keys.events, JSON.stringify({ i: 'x', e: 'join', peer: { id: 'p', role: 'king', network: 'n' } }));
    await a.link.command.publish(keys.events, JSON.stringify({ i: 'x', e: 'join', peer: { id: 'ok', role: 'browser', network: 'n' } }));
    await waitFor(() => b.registry.stats(0).peers === 1, 'the valid join applied', WAIT_MS);
    assert.equal(b.registry.instanceOf('ok'), 'x');
    assert.equal(b.registry.instanceOf('p'), undefined);
  } finally {
    await close();
  }
});

test('redis: an instance stops promptly while Redis is down (no QUIT left waiting for it)', async () => {
  const { a, b } = await pair();
  await redis.kill();
  try {
    await waitFor(() => a.redisState === 'down', 'a noticed', WAIT_MS);
    await within(a.close(), 'close with Redis down', 5_000);
    await within(b.close(), 'close with Redis down', 5_000);
  } finally {
    await redis.restart();
  }
});
