import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';
import { startApp, type RunningApp } from '../../proxy/app.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { SignalTestClient } from '../signaling/signal-test-client.js';

const WAIT_MS = 10_000;
/** Long enough for several reconnect attempts (100, 200, 400, 800 ms…). */
const OUTAGE_MS = 2_000;
let redis: RunningRedis;
let a: RunningApp;
let b: RunningApp;
let logText = '';
const clients: SignalTestClient[] = [];

async function start(log?: Writable): Promise<RunningApp> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SEEDER_MODE: 'off', REDIS_URL: redis.url, P2P_THRESHOLD: '1' });
  return startApp(config, createLogger(log ? 'info' : 'silent', log ? { destination: log } : {}));
}

async function readyz(app: RunningApp): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL('/__p2p/readyz', app.url));
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

before(async () => {
  redis = await startRedis();
  a = await start(new Writable({ write(chunk: Buffer, _enc, done) { logText += chunk.toString(); done(); } }));
  b = await start();
  await waitFor(() => a.cluster?.redisState === 'up' && b.cluster?.redisState === 'up', 'both on Redis', WAIT_MS);
});

after(async () => {
  for (const client of clients) client.close();
  await a.close();
  await b.close();
  await redis.dispose();
});

test('redis: down and back — pages never fail, P2P stays local meanwhile, one log line each way, sharing resumes', async () => {
  const before = await readyz(a);
  assert.equal(before.status, 200);
  assert.equal(before.body.redis, 'up');
  assert.equal(before.body.instance, a.cluster?.instanceId);

  const holder = await SignalTestClient.connect(a.url);
  clients.push(holder);
  holder.send({ type: 'have', assets: ['outage1'] });
  await waitFor(() => b.signaling.registry.holderCount('outage1') === 1, 'b sees the holder', WAIT_MS);

  await redis.kill();
  await waitFor(() => a.cluster?.redisState === 'down' && b.cluster?.redisState === 'down', 'both noticed', WAIT_MS);
  // Pages and media keep coming while Redis is gone, on both instances.
  let failed = 0;
  let served = 0;
  const deadline = Date.now() + OUTAGE_MS;
  while (Date.now() < deadline) {
    for (const app of [a, b]) {
      for (const path of ['/', '/about.html', '/images/poster.png']) {
        const res = await fetch(new URL(path, app.url)).catch(() => undefined);
        await res?.arrayBuffer();
        if (res?.status === 200) served++;
        else failed++;
      }
    }
  }
  assert.equal(failed, 0);
  assert.ok(served > 0);
  const during = await readyz(a);
  assert.equal(during.status, 200, 'an instance without Redis still takes traffic');
  assert.equal(during.body.redis, 'down');
  assert.equal(b.signaling.registry.holderCount('outage1'), 0, 'remote holders are not offered while Redis is down');
  assert.equal(a.signaling.registry.holderCount('outage1'), 1, 'local ones still are');
  // A visitor arriving now is paired within its own instance.
  const local = await SignalTestClient.connect(a.url);
  clients.push(local);
  assert.deepEqual(await local.holders('outage1'), [holder.id]);

  await redis.restart();
  await waitFor(() => b.signaling.registry.holderCount('outage1') === 1, 'b sees the holder again', WAIT_MS);
  assert.equal((await readyz(a)).body.redis, 'up');
  const lines = logText.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string });
  assert.equal(lines.filter((line) => line.msg.startsWith('redis unreachable')).length, 1, 'one line for the outage, not one per retry');
  assert.equal(lines.filter((line) => line.msg.startsWith('redis is back')).length, 1);
  // And across instances again.
  const asker = await SignalTestClient.connect(b.url);
  clients.push(asker);
  assert.deepEqual(await asker.holders('outage1'), [holder.id]);
});

test('redis: an instance started while Redis is down serves pages and joins once Redis is up', async () => {
  await redis.stop();
  const c = await start();
  try {
    const res = await fetch(new URL('/', c.url));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal((await readyz(c)).body.redis, 'down');
    const holder = await SignalTestClient.connect(c.url);
    clients.push(holder);
    holder.send({ type: 'have', assets: ['late1'] });
    await redis.restart();
    await waitFor(() => a.signaling.registry.holderCount('late1') === 1, 'a sees c\'s holder', WAIT_MS);
  } finally {
    await c.close();
  }
});
