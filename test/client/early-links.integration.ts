import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { EarlyLinks, MAX_EARLY_LINKS } from '../../client/signal/early-links.js';
import { PeerPool } from '../../client/peer/peer-pool.js';
import { MAX_INFLIGHT_REQUESTS } from '../../protocol/peer-wire.js';

// The client's pool runs unchanged on node-datachannel's RTCPeerConnection; no offer is ever answered here.
(globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection ??= RTCPeerConnection;

const pools: PeerPool[] = [];
after(() => {
  for (const pool of pools) pool.close();
});

function newPool(): PeerPool {
  const pool = new PeerPool({
    ice: () => ({ iceServers: [], deadlineMs: 60_000 }),
    signal: () => undefined,
    serve: () => ({ decline: 'not-held' }),
  });
  pools.push(pool);
  return pool;
}

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';

test('a link already open to the named holder, its pipeline full, does not count towards the early links', () => {
  const pool = newPool();
  const busy = pool.linkTo('busy-holder');
  assert.ok(busy);
  for (let i = 0; i < MAX_INFLIGHT_REQUESTS; i++) busy.request(ID, `http://site.test/${i}.png`, 10).promise.catch(() => undefined);
  assert.ok(!pool.linkedPeers(true).includes('busy-holder'), 'a full link is left out of linkedPeers');
  const early = new EarlyLinks(pool, () => false);
  early.connect(['busy-holder'], 'me');
  assert.equal(early.count, 0, 'handed back by linkTo, not opened');
  early.connect(['h1'], 'me');
  early.connect(['h2'], 'me');
  assert.equal(early.count, MAX_EARLY_LINKS);
  early.connect(['h3'], 'me');
  assert.equal(early.count, MAX_EARLY_LINKS);
  assert.ok(!pool.linkedPeers(true).includes('h3'), 'no third early link');
});

test('early links skip this visitor, prefer a browser to a seeder, and leave peers already linked alone', () => {
  const pool = newPool();
  const early = new EarlyLinks(pool, (peer) => peer.startsWith('seeder'));
  early.connect(['me', 'seeder-1', 'browser-1'], 'me');
  assert.deepEqual(pool.linkedPeers(true), ['browser-1']);
  early.connect(['browser-1'], 'me');
  assert.equal(early.count, 1, 'already linked');
  early.connect(['me', 'seeder-1'], 'me');
  assert.deepEqual(pool.linkedPeers(true).sort(), ['browser-1', 'seeder-1']);
  assert.equal(early.count, 2);
});
