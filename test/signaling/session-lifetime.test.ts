import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNAL_PROTOCOL_VERSION } from '../../protocol/signal-messages.js';
import { HolderChoice } from '../../proxy/signaling/holder-choice.js';
import { InMemoryPeerRegistry } from '../../proxy/signaling/peer-registry.js';
import {
  CLOSE_GRACE_MS, SessionLifetime,
} from '../../proxy/signaling/session-lifetime.js';
import { waitFor } from '../helpers/wait.js';
import { fakeSession } from './fake-signal-socket.js';

/** Long enough that the interval never fires during a test that calls beat() itself. */
const MANUAL_HEARTBEAT_MS = 3_600_000;
const FAST_HEARTBEAT_MS = 10;
const WAIT_MS = 5_000;

const lifetimes: SessionLifetime[] = [];
after(() => {
  for (const lifetime of lifetimes) lifetime.close();
});

function setup(heartbeatMs = MANUAL_HEARTBEAT_MS, maxPeers?: number) {
  const registry = new InMemoryPeerRegistry(maxPeers !== undefined ? { maxPeers } : {});
  const lifetime = new SessionLifetime({ registry, heartbeatMs });
  lifetimes.push(lifetime);
  return { registry, lifetime };
}

test('session lifetime: open joins the registry; a full registry closes the socket with 1013', () => {
  const { registry, lifetime } = setup(MANUAL_HEARTBEAT_MS, 1);
  const first = fakeSession('first');
  assert.equal(lifetime.open(first.session), true);
  assert.equal(lifetime.lookup('first'), first.session);
  assert.equal(registry.stats(0).peers, 1);
  const second = fakeSession('second');
  assert.equal(lifetime.open(second.session), false);
  assert.deepEqual(second.socket.closedWith, { code: 1013, reason: 'registry full' });
  assert.equal(lifetime.lookup('second'), undefined);
  assert.equal(lifetime.size, 1);
});

test('session lifetime: a peer that missed the previous ping is cut at the next beat; one that answered stays', () => {
  const { registry, lifetime } = setup();
  const answering = fakeSession('answering');
  const silent = fakeSession('silent');
  lifetime.open(answering.session);
  lifetime.open(silent.session);
  lifetime.beat();
  assert.equal(answering.socket.pings, 1);
  assert.equal(silent.socket.pings, 1);
  answering.socket.emit('pong');
  lifetime.beat();
  assert.equal(silent.socket.terminated, true);
  assert.equal(lifetime.lookup('silent'), undefined);
  assert.equal(answering.socket.terminated, false);
  assert.equal(answering.socket.pings, 2);
  assert.equal(registry.stats(0).peers, 1);
});

test('session lifetime: the heartbeat runs on its own every heartbeatMs', async () => {
  const { lifetime } = setup(FAST_HEARTBEAT_MS);
  const silent = fakeSession('silent');
  lifetime.open(silent.session);
  await waitFor(() => silent.socket.terminated, 'silent peer cut by the heartbeat', WAIT_MS);
  assert.equal(lifetime.size, 0);
});

test('session lifetime: drop forgets holdings, frees upload slots and tells partners peer-gone; it is idempotent', () => {
  const { registry, lifetime } = setup();
  const holders = new HolderChoice({ registry, lookup: lifetime.lookup, geo: false, seederMaxUploads: 4 });
  const holder = fakeSession('holder');
  const asker = fakeSession('asker');
  lifetime.open(holder.session);
  lifetime.open(asker.session);
  holders.have(holder.session, ['x']);
  holders.want(asker.session, 'x', 0);
  asker.session.addPartner('holder');
  holder.session.addPartner('asker');
  assert.equal(holder.session.activeUploads(0), 1);

  asker.socket.emit('close');
  assert.equal(asker.session.closed, true);
  assert.equal(holder.session.activeUploads(0), 0, 'the slot the asker held is free');
  assert.deepEqual(holder.socket.sent, [{ v: SIGNAL_PROTOCOL_VERSION, type: 'peer-gone', peer: 'asker' }]);

  lifetime.drop(holder.session);
  lifetime.drop(holder.session);
  assert.equal(registry.holderCount('x'), 0);
  assert.equal(registry.stats(0).peers, 0);
  assert.equal(lifetime.size, 0);
});

test('session lifetime: bye closes with 1000 at once; a policy close uses 1008, counts once and cuts the socket after the grace', async () => {
  const { lifetime } = setup();
  const leaving = fakeSession('leaving');
  lifetime.open(leaving.session);
  lifetime.bye(leaving.session);
  assert.deepEqual(leaving.socket.closedWith, { code: 1000, reason: 'bye' });
  assert.equal(lifetime.size, 0);

  const abuser = fakeSession('abuser');
  lifetime.open(abuser.session);
  assert.equal(lifetime.closeForPolicy(abuser.session, 'TOO_MANY_INVALID'), true);
  assert.equal(lifetime.closeForPolicy(abuser.session, 'UNAUTHORIZED'), false, 'already gone');
  assert.deepEqual(abuser.socket.closedWith, { code: 1008, reason: 'too many invalid messages' });
  assert.equal(abuser.socket.terminated, false, 'the close handshake gets its grace first');
  await waitFor(() => abuser.socket.terminated, 'socket cut after the grace', CLOSE_GRACE_MS + WAIT_MS);
});

test('session lifetime: close() closes every socket going away and is idempotent', () => {
  const { lifetime } = setup();
  const sockets = ['a', 'b'].map((id) => {
    const { session, socket } = fakeSession(id);
    lifetime.open(session);
    return socket;
  });
  lifetime.close();
  lifetime.close();
  for (const socket of sockets) assert.deepEqual(socket.closedWith, { code: 1001, reason: 'server closing' });
  assert.equal(lifetime.size, 0);
});
