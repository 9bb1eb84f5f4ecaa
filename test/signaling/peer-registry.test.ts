import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryPeerRegistry, type PeerRecord } from '../../proxy/signaling/peer-registry.js';
import { createThresholdPolicy } from '../../proxy/signaling/threshold-policy.js';
import { TokenBucket } from '../../core/utils/token-bucket.js';
import { AddressLimiter } from '../../proxy/signaling/address-limiter.js';

const browser = (id: string): PeerRecord => ({ id, role: 'browser', network: 'local' });
const seeder = (id: string): PeerRecord => ({ id, role: 'seeder', network: 'local' });

test('registry: have/lost/leave keep holder sets exact; seeders hold everything but never count', () => {
  const registry = new InMemoryPeerRegistry();
  registry.join(browser('a'));
  registry.join(browser('b'));
  registry.join(seeder('s'));
  assert.equal(registry.have('a', ['x', 'y']), 2);
  registry.have('b', ['x']);
  assert.equal(registry.holderCount('x'), 2);
  assert.deepEqual(registry.holders('x', 10).map((p) => p.id), ['a', 'b', 's']);
  assert.deepEqual(registry.holders('unknown', 10).map((p) => p.id), ['s']);
  registry.lost('a', ['x']);
  assert.equal(registry.holderCount('x'), 1);
  registry.leave('b');
  assert.equal(registry.holderCount('x'), 0);
  assert.equal(registry.have('s', ['x']), 0);
  const stats = registry.stats(5);
  assert.deepEqual({ peers: stats.peers, browsers: stats.browsers, seeders: stats.seeders, swarms: stats.swarms, holdings: stats.holdings },
    { peers: 2, browsers: 1, seeders: 1, swarms: 1, holdings: 1 });
  assert.deepEqual(stats.topAssets, [{ asset: 'y', holders: 1 }]);
});

test('registry: served() moves holders to the back so the next scan starts with others', () => {
  const registry = new InMemoryPeerRegistry();
  for (const id of ['a', 'b', 'c']) {
    registry.join(browser(id));
    registry.have(id, ['x']);
  }
  registry.served('x', ['a']);
  assert.deepEqual(registry.holders('x', 2).map((p) => p.id), ['b', 'c']);
});

test('registry: bounded in peers, assets per peer and distinct assets', () => {
  const registry = new InMemoryPeerRegistry({ maxPeers: 2, maxAssetsPerPeer: 3, maxAssets: 4 });
  assert.equal(registry.join(browser('a')), true);
  assert.equal(registry.join(browser('b')), true);
  assert.equal(registry.join(browser('c')), false);
  assert.equal(registry.have('a', ['1', '2', '3', '4', '5']), 3);
  assert.equal(registry.have('b', ['4', '5', '6']), 1);
  assert.equal(registry.stats(0).swarms, 4);
  assert.equal(registry.have('nobody', ['1']), 0);
});

test('registry stats: top assets by holder count', () => {
  const registry = new InMemoryPeerRegistry();
  for (let i = 0; i < 5; i++) {
    registry.join(browser(`p${i}`));
    registry.have(`p${i}`, Array.from({ length: i + 1 }, (_, k) => `asset${k}`));
  }
  assert.deepEqual(registry.stats(2).topAssets, [{ asset: 'asset0', holders: 5 }, { asset: 'asset1', holders: 4 }]);
});

test('threshold policy: http until `threshold` browsers hold the asset, then peer; 0 means always peer', () => {
  const registry = new InMemoryPeerRegistry();
  const policy = createThresholdPolicy(registry, 3);
  const asset = { id: 'img', url: 'http://site/a.png', kind: 'image' as const };
  registry.join(seeder('s'));
  for (const id of ['a', 'b', 'c']) {
    assert.equal(policy(asset), 'http');
    registry.join(browser(id));
    registry.have(id, ['img']);
  }
  assert.equal(policy(asset), 'peer');
  registry.leave('a');
  assert.equal(policy(asset), 'http');
  assert.equal(createThresholdPolicy(new InMemoryPeerRegistry(), 0)(asset), 'peer');
});

test('token bucket: a burst, then the refill rate', () => {
  const bucket = new TokenBucket(3, 2, 0);
  assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
  assert.equal(bucket.take(499), false);
  assert.equal(bucket.take(500), true);
  assert.equal(bucket.take(10_000, 4), false);
  assert.equal(bucket.take(10_000, 3), true);
});

test('address limiter: per-address cap; release is idempotent', () => {
  const limiter = new AddressLimiter(2);
  const r1 = limiter.acquire('1.2.3.4');
  const r2 = limiter.acquire('1.2.3.4');
  assert.ok(r1 && r2);
  assert.equal(limiter.acquire('1.2.3.4'), undefined);
  assert.ok(limiter.acquire('5.6.7.8'));
  r1();
  r1();
  assert.ok(limiter.acquire('1.2.3.4'));
  assert.equal(limiter.acquire('1.2.3.4'), undefined);
});
