import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningApp } from '../../proxy/app.js';
import { startProxy } from '../helpers/proxy.js';
import { SignalTestClient, upgradeStatus } from './signal-test-client.js';

const HEARTBEAT_MS = 300;
const ADMIN_TOKEN = 'test-admin-token-0123456789';
const SEEDER_TOKEN = 'test-seeder-token-0123456789';

/** Resolves once `check` returns true, polling; rejects after `timeoutMs`. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

describe('signaling over a real proxy', () => {
  let app: RunningApp;
  const clients: SignalTestClient[] = [];
  const connect = async (forwardedFor?: string) => {
    const client = await SignalTestClient.connect(app.url, forwardedFor ? { forwardedFor } : {});
    clients.push(client);
    return client;
  };

  before(async () => {
    app = await startProxy({ SIGNAL_HEARTBEAT_MS: String(HEARTBEAT_MS), SIGNAL_MAX_PEERS_PER_IP: '64', TRUST_PROXY: '127.0.0.1', P2P_ICE_SERVERS: 'stun:stun.example.test:3478', SEEDER_TOKEN });
  });
  after(async () => {
    for (const client of clients) client.close();
    await app.close();
  });

  test('welcome carries a fresh peer id and the configured ICE servers', async () => {
    const a = await connect();
    const b = await connect();
    assert.match(a.id, /^[A-Za-z0-9_-]{8,64}$/);
    assert.notEqual(a.id, b.id);
    const again = await SignalTestClient.connect(app.url);
    clients.push(again);
    assert.ok(again.id.length > 0, 'a third client gets an id too');
  });

  test('two peers pair through want/holders and relay offer, answer and candidates with `from` rewritten', async () => {
    const holder = await connect();
    const asker = await connect();
    holder.send({ type: 'have', assets: ['asset-pair'] });
    await eventually(async () => (await asker.holders('asset-pair')).includes(holder.id));

    asker.send({ type: 'offer', to: holder.id, session: 's1', sdp: 'v=0 offer' });
    const offer = await holder.next('offer');
    assert.deepEqual(offer, { v: 1, type: 'offer', from: asker.id, session: 's1', sdp: 'v=0 offer' });

    holder.send({ type: 'answer', to: asker.id, session: 's1', sdp: 'v=0 answer' });
    assert.deepEqual(await asker.next('answer'), { v: 1, type: 'answer', from: holder.id, session: 's1', sdp: 'v=0 answer' });

    holder.send({ type: 'candidate', to: asker.id, session: 's1', candidate: 'candidate:1 1 udp 1 198.18.0.1 5000 typ host', mid: '0' });
    asker.send({ type: 'candidate', to: holder.id, session: 's1', candidate: 'candidate:2 1 udp 1 198.18.0.1 5001 typ host', mid: '0' });
    assert.equal((await asker.next('candidate')).from, holder.id);
    assert.equal((await holder.next('candidate')).from, asker.id);
  });

  test('a third peer cannot inject offers, answers or candidates into a pair', async () => {
    const holder = await connect();
    const asker = await connect();
    const intruder = await connect();
    holder.send({ type: 'have', assets: ['asset-private'] });
    await eventually(async () => (await asker.holders('asset-private')).includes(holder.id));
    asker.send({ type: 'offer', to: holder.id, session: 's2', sdp: 'v=0' });
    await holder.next('offer');

    intruder.send({ type: 'offer', to: holder.id, session: 's2', sdp: 'evil' });
    assert.equal((await intruder.next('error')).code, 'not-paired');
    intruder.send({ type: 'answer', to: asker.id, session: 's2', sdp: 'evil' });
    assert.equal((await intruder.next('error')).code, 'not-paired');
    intruder.send({ type: 'candidate', to: holder.id, session: 's2', candidate: 'evil', mid: '0' });
    assert.equal((await intruder.next('error')).code, 'not-paired');
    intruder.send({ type: 'bad-peer', peer: holder.id, asset: 'asset-private' });
    assert.equal((await intruder.next('error')).code, 'not-paired');

    // A round trip on each victim proves nothing from the intruder was queued before it.
    assert.ok(Array.isArray(await holder.holders('nothing')), 'the holder still gets answers');
    assert.ok(Array.isArray(await asker.holders('nothing')), 'the asker still gets answers');
    assert.equal([...holder.received, ...asker.received].filter((m) => 'from' in m && m.from === intruder.id).length, 0);
    // The holder has not been handed the asker, so it may not offer it either.
    holder.send({ type: 'offer', to: intruder.id, session: 's3', sdp: 'v=0' });
    assert.equal((await holder.next('error')).code, 'not-paired');
  });

  test('malformed JSON, unknown types, bad fields, wrong ids and binary frames get errors; the socket stays usable', async () => {
    const peer = await connect();
    const cases: [string, string][] = [
      ['{not json', 'bad-json'],
      [JSON.stringify({ v: 1, type: 'teleport' }), 'unknown-type'],
      [JSON.stringify({ v: 2, type: 'have', assets: [] }), 'unsupported-version'],
      [JSON.stringify({ v: 1, type: 'have', assets: ['../../etc'] }), 'bad-message'],
      [JSON.stringify({ v: 1, type: 'offer', to: 'no such peer!', session: 'x', sdp: '' }), 'bad-message'],
      [JSON.stringify({ v: 1, type: 'offer', to: 'nobodyHasThisId', session: 'x', sdp: '' }), 'not-paired'],
      [JSON.stringify([1, 2, 3]), 'bad-message'],
    ];
    for (const [raw, code] of cases) {
      peer.sendRaw(raw);
      assert.equal((await peer.next('error')).code, code, raw);
    }
    peer.sendRaw(Buffer.from('{}'), true);
    assert.equal((await peer.next('error')).code, 'bad-message');
    assert.deepEqual(await peer.holders('still-works'), []);
  });

  test('an oversized frame closes the socket (1009) and other peers are unaffected', async () => {
    const bystander = await connect();
    const big = await connect();
    big.sendRaw(JSON.stringify({ v: 1, type: 'have', assets: ['a'], pad: 'x'.repeat(70 * 1024) }));
    assert.equal(await big.waitClosed(), 1009);
    assert.deepEqual(await bystander.holders('unaffected'), []);
  });

  test('repeated abuse closes the socket with 1008; a flood is rate-limited then closed', async () => {
    const abuser = await connect();
    for (let i = 0; i < 40; i++) abuser.sendRaw('nonsense');
    assert.equal(await abuser.waitClosed(), 1008);

    const flooder = await connect();
    for (let i = 0; i < 500; i++) flooder.send({ type: 'want', assets: [] });
    assert.equal((await flooder.next('error', (m) => m.code === 'rate-limited')).code, 'rate-limited');
    assert.equal(await flooder.waitClosed(), 1008);
    const stats = app.signaling.stats();
    assert.ok((stats.rejectedMessages['rate-limited'] ?? 0) > 0, 'rate-limited messages counted');
    assert.ok(stats.policyCloses >= 2, 'policy closes counted');
  });

  test('10k bad messages: server RSS stays bounded, sockets are closed and forgotten, a pair still works', async () => {
    const holder = await connect();
    const asker = await connect();
    holder.send({ type: 'have', assets: ['asset-survivor'] });
    await eventually(async () => (await asker.holders('asset-survivor')).includes(holder.id));
    const peersBefore = app.signaling.stats().peers;
    const rssBefore = process.memoryUsage().rss;
    const junk = ['{', 'null', JSON.stringify({ v: 1, type: 'x'.repeat(2_000) }), JSON.stringify({ v: 1, type: 'want', assets: 'no' })];
    let sent = 0;
    while (sent < 10_000) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => SignalTestClient.connect(app.url)));
      for (const client of batch) {
        for (let i = 0; i < 100; i++) client.sendRaw(junk[i % junk.length] as string);
        sent += 100;
      }
      await Promise.all(batch.map((client) => client.waitClosed()));
    }
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(grownMiB < 64, `RSS grew ${grownMiB.toFixed(1)} MiB`);
    await eventually(() => app.signaling.stats().peers === peersBefore);

    asker.send({ type: 'offer', to: holder.id, session: 'after', sdp: 'v=0' });
    assert.equal((await holder.next('offer', (m) => m.session === 'after')).from, asker.id);
  });

  test('bad-peer stops that holder being offered to the reporter for that asset only', async () => {
    const good = await connect();
    const bad = await connect();
    const reporter = await connect();
    const other = await connect();
    good.send({ type: 'have', assets: ['asset-bp'] });
    bad.send({ type: 'have', assets: ['asset-bp'] });
    await eventually(async () => (await reporter.holders('asset-bp')).length === 2);
    reporter.send({ type: 'bad-peer', peer: bad.id, asset: 'asset-bp' });
    await eventually(async () => {
      const peers = await reporter.holders('asset-bp');
      return peers.length === 1 && peers[0] === good.id;
    });
    assert.ok((await other.holders('asset-bp')).includes(bad.id), 'others are still offered the reported peer');
    assert.ok(app.signaling.stats().badPeerReports >= 1, 'bad-peer reports counted');
  });

  test('bye and close: holdings vanish and paired peers get peer-gone', async () => {
    const holder = await connect();
    const asker = await connect();
    holder.send({ type: 'have', assets: ['asset-bye'] });
    await eventually(async () => (await asker.holders('asset-bye')).includes(holder.id));
    asker.send({ type: 'offer', to: holder.id, session: 'b', sdp: 'v=0' });
    await holder.next('offer');
    holder.send({ type: 'bye' });
    assert.equal((await asker.next('peer-gone')).peer, holder.id);
    assert.deepEqual(await asker.holders('asset-bye'), []);
    asker.send({ type: 'candidate', to: holder.id, session: 'b', candidate: 'c', mid: '0' });
    assert.equal((await asker.next('error')).code, 'not-paired');
  });

  test('a holder that stops answering pings is no longer offered after the heartbeat', async () => {
    const holder = await connect();
    const asker = await connect();
    holder.send({ type: 'have', assets: ['asset-dead'] });
    await eventually(async () => (await asker.holders('asset-dead')).includes(holder.id));
    // Paused: the socket stays open but never reads, so pings go unanswered.
    holder.ws.pause();
    await eventually(async () => !(await asker.holders('asset-dead')).includes(holder.id), 10 * HEARTBEAT_MS, HEARTBEAT_MS / 3);
  });

  test('threshold policy counts browser holders that announced have', async () => {
    const asset = { id: 'asset-threshold', url: 'http://origin/a.png', kind: 'image' as const };
    assert.equal(app.signaling.policy(asset), 'http');
    const holders = [await connect(), await connect(), await connect()];
    for (const holder of holders) holder.send({ type: 'have', assets: [asset.id] });
    await eventually(() => app.signaling.policy(asset) === 'peer');
    holders[0]?.close();
    await eventually(() => app.signaling.policy(asset) === 'http');
  });

  test('geo: with trusted X-Forwarded-For, the same /24 comes first, then the same country', async () => {
    const far = await connect('202.12.27.33');
    const sameCountry = await connect('81.2.70.1');
    const sameSubnet = await connect('81.2.69.7');
    for (const holder of [far, sameCountry, sameSubnet]) holder.send({ type: 'have', assets: ['asset-geo'] });
    const asker = await connect('81.2.69.160');
    await eventually(async () => (await asker.holders('asset-geo')).length === 3);
    const fresh = await connect('81.2.69.161');
    assert.deepEqual(await fresh.holders('asset-geo'), [sameSubnet.id, sameCountry.id, far.id]);
  });

  test('a seeder with SEEDER_TOKEN is accepted and offered last, for any asset', async () => {
    const seeder = await connect();
    seeder.send({ type: 'hello', role: 'seeder', token: SEEDER_TOKEN });
    const browser = await connect();
    browser.send({ type: 'have', assets: ['asset-seeded'] });
    const asker = await connect();
    await eventually(async () => {
      const peers = await asker.holders('asset-seeded');
      return peers.length === 2 && peers[0] === browser.id && peers[1] === seeder.id;
    });
    asker.send({ type: 'want', assets: ['asset-nobody-has'] });
    const onlySeeder = await asker.next('holders', (m) => m.asset === 'asset-nobody-has');
    assert.deepEqual(onlySeeder.peers, [seeder.id]);
    assert.deepEqual(onlySeeder.seeders, [seeder.id], 'holders names which peers are seeders');
    assert.equal(app.signaling.policy({ id: 'asset-nobody-has', url: 'http://o/x', kind: 'image' }), 'http');
    const late = await connect();
    assert.ok((await late.holders('asset-seeded')).length > 0, 'a late peer is answered');
    late.send({ type: 'hello', role: 'browser' });
    assert.equal((await late.next('error')).code, 'bad-message');
    seeder.close();
  });

  test('stats(): live counts of peers, swarms, messages and rejections', () => {
    const stats = app.signaling.stats();
    assert.ok(stats.peers > 0 && stats.browsers > 0, 'peers and browsers counted');
    assert.equal(stats.connections, stats.peers);
    assert.ok(stats.swarms > 0 && stats.topAssets.length > 0, 'swarms and top assets listed');
    assert.ok(stats.messagesTotal > 1_000, 'messages counted');
    assert.ok((stats.rejectedMessages['bad-json'] ?? 0) > 0, 'bad JSON counted');
    assert.equal(typeof stats.tracker.swarms, 'number');
  });
});

describe('signaling limits and seeder authentication', () => {
  test('per-address connection limit answers 429', async () => {
    const app = await startProxy({ SIGNAL_MAX_PEERS_PER_IP: '2' });
    try {
      const first = await SignalTestClient.connect(app.url);
      const second = await SignalTestClient.connect(app.url);
      const third = await upgradeStatus(app.url);
      assert.equal(third.status, 429);
      assert.equal(third.code, 'PC_ERR_RATE_LIMITED');
      const tracker = await upgradeStatus(app.url, '/__p2p/tracker');
      assert.equal(tracker.status, 429);
      assert.equal(tracker.code, 'PC_ERR_RATE_LIMITED');
      first.close();
      await eventually(async () => {
        const retry = await upgradeStatus(app.url);
        retry.ws.terminate();
        return retry.status === 101;
      });
      second.close();
      assert.ok((app.signaling.stats().rejectedConnections['per-address'] ?? 0) >= 1, 'per-address refusals counted');
    } finally {
      await app.close();
    }
  });

  test('without ADMIN_TOKEN or SEEDER_TOKEN, a loopback client cannot take the seeder role', async () => {
    const app = await startProxy({});
    try {
      for (const token of [undefined, 'guessed-token-guessed-token']) {
        const impostor = await SignalTestClient.connect(app.url);
        impostor.send({ type: 'hello', role: 'seeder', ...(token ? { token } : {}) });
        assert.equal((await impostor.next('error')).code, 'unauthorized');
        assert.equal(await impostor.waitClosed(), 1008);
      }
      assert.equal(app.signaling.stats().seeders, 0);
    } finally {
      await app.close();
    }
  });

  test('with ADMIN_TOKEN, role seeder needs the token: without it, unauthorized and closed', async () => {
    const app = await startProxy({ ADMIN_TOKEN });
    try {
      const impostor = await SignalTestClient.connect(app.url);
      impostor.send({ type: 'hello', role: 'seeder', token: 'wrong-token-wrong-token' });
      assert.equal((await impostor.next('error')).code, 'unauthorized');
      assert.equal(await impostor.waitClosed(), 1008);

      const seeder = await SignalTestClient.connect(app.url);
      seeder.send({ type: 'hello', role: 'seeder', token: ADMIN_TOKEN });
      const asker = await SignalTestClient.connect(app.url);
      await eventually(async () => (await asker.holders('any-asset')).includes(seeder.id));
      assert.equal(app.signaling.stats().seeders, 1);
      seeder.close();
      asker.close();
    } finally {
      await app.close();
    }
  });
});
