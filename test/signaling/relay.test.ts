import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNAL_PROTOCOL_VERSION, type PeerId } from '../../protocol/signal-messages.js';
import { isPairedWith, relay, unpair } from '../../proxy/signaling/relay.js';
import type { SignalSession } from '../../proxy/signaling/signal-session.js';
import { fakeSession, type FakeSignalSocket } from './fake-signal-socket.js';

const v = SIGNAL_PROTOCOL_VERSION;

function table(...ids: string[]) {
  const sessions = new Map<PeerId, SignalSession>();
  const sockets = new Map<PeerId, FakeSignalSocket>();
  for (const id of ids) {
    const { session, socket } = fakeSession(id);
    sessions.set(id, session);
    sockets.set(id, socket);
  }
  const get = (id: string) => sessions.get(id) as SignalSession;
  const socket = (id: string) => sockets.get(id) as FakeSignalSocket;
  return { sessions, lookup: (id: PeerId) => sessions.get(id), get, socket };
}

test('relay: an offer reaches a holder the asker was given, with `from`, and pairs the two', () => {
  const { lookup, get, socket } = table('asker', 'holder');
  get('asker').addOffered('holder');
  assert.equal(relay(get('asker'), { v, type: 'offer', to: 'holder', session: 's1', sdp: 'v=0 offer' }, lookup), undefined);
  assert.deepEqual(socket('holder').sent, [{ v, type: 'offer', from: 'asker', session: 's1', sdp: 'v=0 offer' }]);
  assert.ok(get('asker').partners.has('holder') && get('holder').partners.has('asker'), 'partners both ways');

  assert.equal(relay(get('holder'), { v, type: 'answer', to: 'asker', session: 's1', sdp: 'v=0 answer' }, lookup), undefined);
  assert.equal(relay(get('holder'), { v, type: 'candidate', to: 'asker', session: 's1', candidate: 'c', mid: '0' }, lookup), undefined);
  assert.deepEqual(socket('asker').sent, [
    { v, type: 'answer', from: 'holder', session: 's1', sdp: 'v=0 answer' },
    { v, type: 'candidate', from: 'holder', session: 's1', candidate: 'c', mid: '0' },
  ]);
});

test('relay: nothing crosses outside a server-made pair (not-paired), nothing is sent', () => {
  const { lookup, get, socket } = table('asker', 'holder', 'intruder');
  get('asker').addOffered('holder');
  assert.deepEqual(relay(get('intruder'), { v, type: 'offer', to: 'holder', session: 's', sdp: 'x' }, lookup),
    { reason: 'not-paired', message: 'offer only to a holder you were given' });
  // Being handed a holder allows an offer, not an answer or candidate before one.
  assert.deepEqual(relay(get('asker'), { v, type: 'answer', to: 'holder', session: 's', sdp: 'x' }, lookup),
    { reason: 'not-paired', message: 'answer only within a pair' });
  assert.deepEqual(relay(get('intruder'), { v, type: 'candidate', to: 'asker', session: 's', candidate: 'c', mid: '0' }, lookup),
    { reason: 'not-paired', message: 'candidate only within a pair' });
  // The holder was not handed the asker, so it may not open a pair towards it.
  assert.equal(relay(get('holder'), { v, type: 'offer', to: 'asker', session: 's', sdp: 'x' }, lookup)?.reason, 'not-paired');
  for (const id of ['asker', 'holder', 'intruder']) assert.deepEqual(socket(id).sent, [], id);
  assert.equal(isPairedWith(get('asker'), 'holder'), true);
  assert.equal(isPairedWith(get('intruder'), 'holder'), false);
});

test('relay: a paired peer that is gone is unknown-peer', () => {
  const { sessions, lookup, get } = table('asker', 'holder');
  get('asker').addOffered('holder');
  sessions.delete('holder');
  assert.deepEqual(relay(get('asker'), { v, type: 'offer', to: 'holder', session: 's', sdp: 'x' }, lookup),
    { reason: 'unknown-peer', message: 'that peer is gone' });
  get('asker').addPartner('holder');
  assert.equal(relay(get('asker'), { v, type: 'candidate', to: 'holder', session: 's', candidate: 'c', mid: '0' }, lookup)?.reason, 'unknown-peer');
});

test('relay: unpair tells every partner peer-gone and both sides forget the pair', () => {
  const { lookup, get, socket } = table('leaver', 'a', 'b', 'bystander');
  for (const id of ['a', 'b']) {
    get('leaver').addPartner(id);
    get(id).addPartner('leaver');
    get(id).addOffered('leaver');
  }
  get('leaver').addOffered('bystander');
  unpair(get('leaver'), lookup);
  for (const id of ['a', 'b']) {
    assert.deepEqual(socket(id).sent, [{ v, type: 'peer-gone', peer: 'leaver' }], id);
    assert.equal(isPairedWith(get(id), 'leaver'), false, id);
  }
  assert.deepEqual(socket('bystander').sent, [], 'only partners hear it');
  assert.equal(get('leaver').partners.size + get('leaver').offered.size, 0);
});
