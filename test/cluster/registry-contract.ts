import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerRecord, PeerRegistry, RegistryLimits } from '../../proxy/signaling/peer-registry.js';
import { createThresholdPolicy } from '../../proxy/signaling/threshold-policy.js';

/**
 * Two views of one registry: `writer` takes every write; `reader` is where
 * another proxy instance reads (the same object for the in-memory registry).
 * `settled` resolves once the reader reflects every write made so far.
 */
export interface RegistryViews {
  writer: PeerRegistry;
  reader: PeerRegistry;
  settled(): Promise<void>;
  close(): Promise<void>;
}

export type RegistryFactory = (limits?: Partial<RegistryLimits>) => Promise<RegistryViews>;

const browser = (id: string): PeerRecord => ({ id, role: 'browser', network: 'local' });
const seeder = (id: string): PeerRecord => ({ id, role: 'seeder', network: 'local' });
const ids = (records: PeerRecord[]): string[] => records.map((p) => p.id);
const sortedIds = (records: PeerRecord[]): string[] => ids(records).sort();

/** One test body per registry behaviour, run per implementation with its name first (`memory: …`, `redis: …`). */
export function registryContract(kind: string, create: RegistryFactory): void {
  const withViews = (name: string, body: (views: RegistryViews) => Promise<void>, limits?: Partial<RegistryLimits>): void => {
    test(`${kind}: ${name}`, async () => {
      const views = await create(limits);
      try {
        await body(views);
      } finally {
        await views.close();
      }
    });
  };

  withViews('have/lost/leave keep holder sets exact in every view; seeders hold everything but never count', async ({ writer, reader, settled }) => {
    writer.join(browser('a'));
    writer.join(browser('b'));
    writer.join(seeder('s'));
    assert.equal(writer.have('a', ['x', 'y']), 2);
    writer.have('b', ['x']);
    await settled();
    for (const view of [writer, reader]) {
      assert.equal(view.holderCount('x'), 2);
      assert.deepEqual(sortedIds(view.holders('x', 10)), ['a', 'b', 's']);
      assert.deepEqual(ids(view.holders('unknown', 10)), ['s']);
    }
    writer.lost('a', ['x']);
    writer.leave('b');
    await settled();
    for (const view of [writer, reader]) {
      assert.equal(view.holderCount('x'), 0);
      const stats = view.stats(5);
      assert.deepEqual({ peers: stats.peers, browsers: stats.browsers, seeders: stats.seeders, swarms: stats.swarms, holdings: stats.holdings },
        { peers: 2, browsers: 1, seeders: 1, swarms: 1, holdings: 1 });
      assert.deepEqual(stats.topAssets, [{ asset: 'y', holders: 1 }]);
    }
    assert.equal(writer.have('s', ['x']), 0);
  });

  withViews('served() moves holders to the back so the next scan starts with others', async ({ writer }) => {
    for (const id of ['a', 'b', 'c']) {
      writer.join(browser(id));
      writer.have(id, ['x']);
    }
    writer.served('x', ['a']);
    assert.deepEqual(ids(writer.holders('x', 2)), ['b', 'c']);
  });

  withViews('bounded in peers, assets per peer and distinct assets', async ({ writer, reader, settled }) => {
    assert.equal(writer.join(browser('a')), true);
    assert.equal(writer.join(browser('b')), true);
    assert.equal(writer.join(browser('c')), false);
    assert.equal(writer.have('a', ['1', '2', '3', '4', '5']), 3);
    assert.equal(writer.have('b', ['4', '5', '6']), 1);
    assert.equal(writer.have('nobody', ['1']), 0);
    await settled();
    for (const view of [writer, reader]) {
      assert.equal(view.stats(0).swarms, 4);
      assert.equal(view.stats(0).peers, 2);
    }
  }, { maxPeers: 2, maxAssetsPerPeer: 3, maxAssets: 4 });

  withViews('stats list the top assets by holder count', async ({ writer, reader, settled }) => {
    for (let i = 0; i < 5; i++) {
      writer.join(browser(`p${i}`));
      writer.have(`p${i}`, Array.from({ length: i + 1 }, (_, k) => `asset${k}`));
    }
    await settled();
    for (const view of [writer, reader]) {
      assert.deepEqual(view.stats(2).topAssets, [{ asset: 'asset0', holders: 5 }, { asset: 'asset1', holders: 4 }]);
    }
  });

  withViews('the threshold policy reads holder counts from any view', async ({ writer, reader, settled }) => {
    const asset = { id: 'img', url: 'http://site/a.png', kind: 'image' as const };
    const policies = [createThresholdPolicy(writer, 3), createThresholdPolicy(reader, 3)];
    writer.join(seeder('s'));
    for (const id of ['a', 'b', 'c']) {
      await settled();
      assert.deepEqual(policies.map((policy) => policy(asset)), ['http', 'http']);
      writer.join(browser(id));
      writer.have(id, ['img']);
    }
    await settled();
    assert.deepEqual(policies.map((policy) => policy(asset)), ['peer', 'peer']);
    writer.leave('a');
    await settled();
    assert.deepEqual(policies.map((policy) => policy(asset)), ['http', 'http']);
  });
}
