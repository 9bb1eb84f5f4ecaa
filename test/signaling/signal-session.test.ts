import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNAL_PROTOCOL_VERSION } from '../../protocol/signal-messages.js';
import { MAX_BUFFERED_BYTES } from '../../proxy/signaling/signal-session.js';
import { fakeSession } from './fake-signal-socket.js';

const v = SIGNAL_PROTOCOL_VERSION;
/** Partners a browser session keeps (MAX_PARTNERS_BROWSER in signal-session.ts). */
const BROWSER_PARTNERS = 64;

test('signal session: send writes JSON while open; nothing once closed; a socket that stopped reading is cut', () => {
  const { session, socket } = fakeSession('p');
  session.send({ v, type: 'peer-gone', peer: 'q' });
  assert.deepEqual(socket.sent, [{ v, type: 'peer-gone', peer: 'q' }]);

  socket.bufferedAmount = MAX_BUFFERED_BYTES + 1;
  session.send({ v, type: 'peer-gone', peer: 'r' });
  assert.equal(socket.terminated, true);
  assert.equal(socket.sent.length, 1);

  const { session: closed, socket: closedSocket } = fakeSession('c');
  closed.closed = true;
  closed.send({ v, type: 'peer-gone', peer: 'q' });
  assert.deepEqual(closedSocket.sent, []);
});

test('signal session: partners are bounded, the oldest forgotten first; re-adding refreshes one', () => {
  const { session } = fakeSession('p');
  for (let i = 0; i < BROWSER_PARTNERS; i++) session.addPartner(`peer${i}`);
  session.addPartner('peer0');
  session.addPartner('newcomer');
  assert.equal(session.partners.size, BROWSER_PARTNERS);
  assert.ok(session.partners.has('peer0'), 'refreshed, so kept');
  assert.ok(!session.partners.has('peer1'), 'oldest dropped');
  assert.ok(session.partners.has('newcomer'));
});

test('signal session: expired upload slots are forgotten when counted', () => {
  const { session } = fakeSession('p');
  session.uploads.set('a x', 100);
  session.uploads.set('b x', 200);
  assert.equal(session.activeUploads(99), 2);
  assert.equal(session.activeUploads(100), 1);
  assert.equal(session.activeUploads(200), 0);
  assert.equal(session.uploads.size, 0);
});

test('signal session: expect() remembers the holders handed out for an asset, latest answer wins', () => {
  const { session } = fakeSession('p');
  session.expect('x', []);
  assert.equal(session.awaiting.has('x'), false, 'nobody handed out, nothing to free later');
  session.expect('x', ['a', 'b']);
  session.expect('x', ['c']);
  assert.deepEqual(session.awaiting.get('x'), ['c']);
});
