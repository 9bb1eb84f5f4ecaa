import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_HOLDERS_PER_ASSET, SIGNAL_PROTOCOL_VERSION, type PeerId, type PeerRole } from '../../protocol/signal-messages.js';
import {
  HolderChoice, MAX_UPLOADS_PER_BROWSER, MAX_UPLOADS_PER_UPLINK, UPLOAD_SLOT_MS, releaseAllSlots,
} from '../../proxy/signaling/holder-choice.js';
import { InMemoryPeerRegistry } from '../../proxy/signaling/peer-registry.js';
import { toRecord } from '../../proxy/signaling/session-lifetime.js';
import type { SignalSession } from '../../proxy/signaling/signal-session.js';
import { fakeSession } from './fake-signal-socket.js';

const v = SIGNAL_PROTOCOL_VERSION;
const SEEDER_MAX_UPLOADS = 2;

function world() {
  const registry = new InMemoryPeerRegistry();
  const sessions = new Map<PeerId, SignalSession>();
  const lookup = (id: PeerId) => sessions.get(id);
  const choice = new HolderChoice({ registry, lookup, geo: false, seederMaxUploads: SEEDER_MAX_UPLOADS });
  const join = (id: string, role: PeerRole = 'browser', address?: string): SignalSession => {
    const { session } = fakeSession(id, { role, ...(address ? { address } : {}) });
    sessions.set(id, session);
    registry.join(toRecord(session));
    return session;
  };
  return { registry, sessions, choice, join };
}

test('holder choice: want answers browsers first, seeders last and named, and remembers what it handed out', () => {
  const { choice, join } = world();
  join('seeder', 'seeder');
  const holder = join('holder');
  choice.have(holder, ['x']);
  const asker = join('asker');
  assert.deepEqual(choice.want(asker, 'x', 1_000), { v, type: 'holders', asset: 'x', peers: ['holder', 'seeder'], seeders: ['seeder'] });
  assert.deepEqual(choice.want(asker, 'nobody-has', 1_000), { v, type: 'holders', asset: 'nobody-has', peers: ['seeder'], seeders: ['seeder'] });
  assert.ok(asker.offered.has('holder') && asker.offered.has('seeder'), 'the asker may now offer to both');
  assert.equal(holder.lastServedAt, 1_000);
  assert.deepEqual(asker.awaiting.get('x'), ['holder', 'seeder']);
});

test('holder choice: at most MAX_HOLDERS_PER_ASSET holders, never the asker itself', () => {
  const { choice, join } = world();
  const holders = Array.from({ length: MAX_HOLDERS_PER_ASSET + 3 }, (_, i) => join(`h${i}`));
  for (const holder of holders) choice.have(holder, ['x']);
  const answer = choice.want(holders[0] as SignalSession, 'x', 0);
  assert.equal(answer.peers.length, MAX_HOLDERS_PER_ASSET);
  assert.ok(!answer.peers.includes('h0'));
  assert.equal(answer.seeders, undefined, 'no seeders field without a seeder');
});

test('holder choice: a browser holder handed out MAX_UPLOADS_PER_BROWSER times is skipped until an asker reports have', () => {
  const { choice, join } = world();
  const holder = join('holder');
  choice.have(holder, ['x']);
  const askers = Array.from({ length: MAX_UPLOADS_PER_BROWSER }, (_, i) => join(`a${i}`));
  for (const asker of askers) assert.deepEqual(choice.want(asker, 'x', 0).peers, ['holder']);
  const late = join('late');
  const busy = choice.want(late, 'x', 0);
  assert.deepEqual(busy.peers, [], 'holder busy');
  assert.equal(busy.busy, 1, 'the answer says a holder exists but is uploading, so the asker waits for a slot');
  assert.equal(choice.want(late, 'nobody-has', 0).busy, undefined, 'no holder at all: not busy');
  choice.have(askers[0] as SignalSession, ['x']);
  const freed = choice.want(late, 'x', 0);
  assert.ok(freed.peers.includes('holder'), 'a finished download frees a slot');
  assert.equal(freed.busy, undefined);
});

test('holder choice: browser holders behind one address share one uplink: the least loaded home first, none past MAX_UPLOADS_PER_UPLINK', () => {
  const { choice, join } = world();
  const homeA = [join('a1', 'browser', '198.18.11.2'), join('a2', 'browser', '198.18.11.2')];
  const homeB = join('b1', 'browser', '198.18.12.2');
  for (const holder of [...homeA, homeB]) choice.have(holder, ['x']);
  // Each want hands out a slot on every holder named: ask until home A's uplink is at its cap.
  let n = 0;
  const handed = new Map<string, number>();
  while (n < 40) {
    const first = choice.want(join(`asker${n++}`, 'browser', '198.18.13.2'), 'x', 0).peers[0];
    if (first === undefined) break;
    handed.set(first, (handed.get(first) ?? 0) + 1);
  }
  // With its own two holders at 4 each, home A would take 8 transfers; its shared uplink takes MAX_UPLOADS_PER_UPLINK.
  const answer = choice.want(join('late', 'browser', '198.18.13.2'), 'x', 0);
  assert.ok(!answer.peers.includes('a1') && !answer.peers.includes('a2'), `home A is at its uplink cap: ${JSON.stringify(answer.peers)}`);
  assert.ok(homeA.reduce((sum, h) => sum + h.activeUploads(0), 0) <= MAX_UPLOADS_PER_UPLINK);
  assert.ok(MAX_UPLOADS_PER_UPLINK < 2 * MAX_UPLOADS_PER_BROWSER, 'the cap binds before two browsers of one home are full');
  // The first answer named the holder whose uplink carried less at the time: home B's got its share.
  assert.ok((handed.get('b1') ?? 0) > 0);
});

test('holder choice: an upload slot lapses after UPLOAD_SLOT_MS when the asker never reports have', () => {
  const { choice, join } = world();
  const holder = join('holder');
  choice.have(holder, ['x']);
  for (let i = 0; i < MAX_UPLOADS_PER_BROWSER; i++) choice.want(join(`a${i}`), 'x', 0);
  const late = join('late');
  assert.deepEqual(choice.want(late, 'x', UPLOAD_SLOT_MS - 1).peers, []);
  assert.deepEqual(choice.want(late, 'x', UPLOAD_SLOT_MS).peers, ['holder']);
});

test('holder choice: a seeder takes seederMaxUploads transfers, and its have/lost change nothing', () => {
  const { registry, choice, join } = world();
  const seeder = join('seeder', 'seeder');
  choice.have(seeder, ['x']);
  choice.lost(seeder, ['x']);
  assert.equal(registry.holderCount('x'), 0, 'a seeder never counts as a holder');
  for (let i = 0; i < SEEDER_MAX_UPLOADS; i++) assert.deepEqual(choice.want(join(`a${i}`), 'x', 0).peers, ['seeder']);
  assert.deepEqual(choice.want(join('late'), 'x', 0).peers, []);
});

test('holder choice: lost removes a browser holding', () => {
  const { registry, choice, join } = world();
  const holder = join('holder');
  choice.have(holder, ['x', 'y']);
  choice.lost(holder, ['x']);
  assert.equal(registry.holderCount('x'), 0);
  assert.equal(registry.holderCount('y'), 1);
});

test('holder choice: bad-peer only for a peer the reporter was given, and excludes it for that asset only', () => {
  const { choice, join } = world();
  const good = join('good');
  const bad = join('bad');
  for (const holder of [good, bad]) choice.have(holder, ['x', 'y']);
  const reporter = join('reporter');
  assert.deepEqual(choice.badPeer(reporter, { v, type: 'bad-peer', peer: 'bad', asset: 'x' }),
    { reason: 'not-paired', message: 'report only peers you were given' });
  assert.deepEqual(new Set(choice.want(reporter, 'x', 0).peers), new Set(['good', 'bad']));
  assert.equal(choice.badPeer(reporter, { v, type: 'bad-peer', peer: 'bad', asset: 'x' }), undefined);
  assert.deepEqual(choice.want(reporter, 'x', 0).peers, ['good']);
  assert.ok(choice.want(reporter, 'y', 0).peers.includes('bad'), 'other assets unaffected');
});

test('holder choice: releaseAllSlots frees every slot a leaving asker held', () => {
  const { sessions, choice, join } = world();
  const holder = join('holder');
  choice.have(holder, ['x', 'y']);
  const asker = join('asker');
  choice.want(asker, 'x', 0);
  choice.want(asker, 'y', 0);
  assert.equal(holder.activeUploads(0), 2);
  releaseAllSlots(asker, (id) => sessions.get(id));
  assert.equal(holder.activeUploads(0), 0);
  assert.equal(asker.awaiting.size, 0);
});

test('holder choice: reported NATs reach pairing; two symmetric NATs are paired only when TURN is available', () => {
  for (const turnAvailable of [false, true]) {
    const registry = new InMemoryPeerRegistry();
    const sessions = new Map<PeerId, SignalSession>();
    const choice = new HolderChoice({ registry, lookup: (id) => sessions.get(id), geo: false, seederMaxUploads: SEEDER_MAX_UPLOADS, turnAvailable });
    const join = (id: string, address: string, nat: 'cone' | 'symmetric', role: PeerRole = 'browser'): SignalSession => {
      const { session } = fakeSession(id, { role, address });
      session.nat = nat;
      sessions.set(id, session);
      registry.join(toRecord(session));
      return session;
    };
    // The seeder's own report does not matter: it counts as open.
    join('seeder', '127.0.0.1', 'symmetric', 'seeder');
    const symmetric = join('symmetric-holder', '198.51.100.1', 'symmetric');
    const cone = join('cone-holder', '198.51.100.2', 'cone');
    choice.have(symmetric, ['x']);
    choice.have(cone, ['x']);
    const asker = join('asker', '203.0.113.1', 'symmetric');
    const expected = turnAvailable ? ['cone-holder', 'symmetric-holder', 'seeder'] : ['cone-holder', 'seeder'];
    assert.deepEqual(choice.want(asker, 'x', 1_000).peers, expected, `turnAvailable ${turnAvailable}`);
  }
});

test('holder choice: asking again for the same asset reuses the asker\'s own slot, so a holder filled by its earlier wants is not busy to it', () => {
  const { choice, join } = world();
  const holder = join('holder');
  const assets = Array.from({ length: MAX_UPLOADS_PER_BROWSER }, (_, i) => `asset${i}`);
  choice.have(holder, [...assets, 'other']);
  const asker = join('asker');
  for (const asset of assets) assert.deepEqual(choice.want(asker, asset, 0).peers, ['holder']);
  assert.equal(holder.activeUploads(0), MAX_UPLOADS_PER_BROWSER);
  // The same asset again (its early answer went stale): still this holder, still one slot for it.
  assert.deepEqual(choice.want(asker, 'asset0', 1_000).peers, ['holder']);
  assert.equal(holder.activeUploads(1_000), MAX_UPLOADS_PER_BROWSER);
  // Another asset: the holder is full, and says so.
  const other = choice.want(asker, 'other', 1_000);
  assert.deepEqual(other.peers, []);
  assert.equal(other.busy, 1);
  // Another asker gets no free pass from the first one's slots.
  assert.deepEqual(choice.want(join('second'), 'asset0', 1_000).peers, []);
});
