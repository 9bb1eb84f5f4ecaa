import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningApp } from '../../proxy/app.js';
import { startProxy } from '../helpers/proxy.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { SignalTestClient } from '../signaling/signal-test-client.js';

const WAIT_MS = 10_000;
let redis: RunningRedis;
let a: RunningApp;
let b: RunningApp;
const clients: SignalTestClient[] = [];

async function connect(app: RunningApp, forwardedFor?: string): Promise<SignalTestClient> {
  const client = await SignalTestClient.connect(app.url, forwardedFor ? { forwardedFor } : {});
  clients.push(client);
  return client;
}

before(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, SIGNAL_MAX_PEERS_PER_IP: '64', P2P_THRESHOLD: '1', TRUST_PROXY: '127.0.0.1', P2P_GEO_LOCATE: 'true' };
  a = await startProxy(env);
  b = await startProxy(env);
  await waitFor(() => a.cluster?.redisState === 'up' && b.cluster?.redisState === 'up', 'both instances on Redis', WAIT_MS);
});

after(async () => {
  for (const client of clients) client.close();
  await a.close();
  await b.close();
  await redis.dispose();
});

test('redis: a visitor on one instance is paired with a holder on the other and SDP/ICE cross over Redis both ways', async () => {
  const holder = await connect(a);
  holder.send({ type: 'have', assets: ['cross1'] });
  await waitFor(() => b.signaling.registry.holderCount('cross1') === 1, 'the other instance counts the holder', WAIT_MS);
  const asker = await connect(b);
  assert.deepEqual(await asker.holders('cross1'), [holder.id]);

  asker.send({ type: 'offer', to: holder.id, session: 's1', sdp: 'v=0 offer' });
  const offer = await holder.next('offer');
  assert.deepEqual(offer, { v: 1, type: 'offer', from: asker.id, session: 's1', sdp: 'v=0 offer' });
  holder.send({ type: 'answer', to: asker.id, session: 's1', sdp: 'v=0 answer' });
  assert.equal((await asker.next('answer')).sdp, 'v=0 answer');
  holder.send({ type: 'candidate', to: asker.id, session: 's1', candidate: 'candidate:1 1 udp 1 198.18.0.1 4000 typ host', mid: '0' });
  assert.equal((await asker.next('candidate')).from, holder.id);
  asker.send({ type: 'candidate', to: holder.id, session: 's1', candidate: 'candidate:2 1 udp 1 198.18.0.2 4001 typ host', mid: '0' });
  assert.equal((await holder.next('candidate')).from, asker.id);

  // The asker leaves: its partner on the other instance hears peer-gone, and may no longer answer it.
  asker.close();
  assert.equal((await holder.next('peer-gone')).peer, asker.id);
  holder.send({ type: 'answer', to: asker.id, session: 's1', sdp: 'late' });
  assert.equal((await holder.next('error')).code, 'not-paired');
});

test('redis: an offer to a remote peer that was never handed out is refused, as on one instance', async () => {
  const stranger = await connect(a);
  const asker = await connect(b);
  await waitFor(() => b.signaling.stats().peers >= 2, 'b sees the stranger', WAIT_MS);
  asker.send({ type: 'offer', to: stranger.id, session: 's', sdp: 'x' });
  assert.equal((await asker.next('error')).code, 'not-paired');
  stranger.close();
  asker.close();
});

test('redis: pairing across instances keeps its order (browsers before seeders, same network first)', async () => {
  const far = await connect(a, '198.18.7.10');
  const near = await connect(a, '198.18.9.10');
  far.send({ type: 'have', assets: ['cross2'] });
  near.send({ type: 'have', assets: ['cross2'] });
  await waitFor(() => b.signaling.registry.holderCount('cross2') === 2, 'both holders visible on b', WAIT_MS);
  const asker = await connect(b, '198.18.9.20');
  const peers = await asker.holders('cross2');
  assert.deepEqual(peers, [near.id, far.id]);
  for (const client of [far, near, asker]) client.close();
});

test('redis: an instance that stops takes its holders out of the other\'s pairing at once', async () => {
  const c = await startProxy({ REDIS_URL: redis.url, P2P_THRESHOLD: '1' });
  try {
    await waitFor(() => c.cluster?.redisState === 'up', 'c on Redis', WAIT_MS);
    const holder = await SignalTestClient.connect(c.url);
    clients.push(holder);
    holder.send({ type: 'have', assets: ['cross3'] });
    await waitFor(() => b.signaling.registry.holderCount('cross3') === 1, 'b sees c\'s holder', WAIT_MS);
  } finally {
    await c.close();
  }
  await waitFor(() => b.signaling.registry.holderCount('cross3') === 0, 'b forgot c\'s holder', WAIT_MS);
  const asker = await connect(b);
  assert.deepEqual(await asker.holders('cross3'), []);
  asker.close();
});
