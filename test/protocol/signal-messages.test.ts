import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_ASSETS_PER_MESSAGE, MAX_SIGNAL_MESSAGE_BYTES, SignalProtocolError, parseClientMessage, parseServerMessage,
} from '../../protocol/signal-messages.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SignalProtocolError ? err.reason : 'not-a-protocol-error';
  }
  return undefined;
}

test('client messages: known fields kept, unknown fields dropped', () => {
  const offer = parseClientMessage(JSON.stringify({ v: 1, type: 'offer', to: 'peer-1', session: 's1', sdp: 'v=0', extra: 'x' }));
  assert.deepEqual(offer, { v: 1, type: 'offer', to: 'peer-1', session: 's1', sdp: 'v=0' });
  const candidate = parseClientMessage({ v: 1, type: 'candidate', to: 'p', session: 's', candidate: 'a=candidate:1', mid: '0' });
  assert.deepEqual(candidate, { v: 1, type: 'candidate', to: 'p', session: 's', candidate: 'a=candidate:1', mid: '0' });
  assert.deepEqual(parseClientMessage({ v: 1, type: 'want', assets: ['a', 'b'] }), { v: 1, type: 'want', assets: ['a', 'b'] });
});

test('client messages: every malformed input throws a protocol error with its code', () => {
  assert.equal(code(() => parseClientMessage('{not json')), 'bad-json');
  assert.equal(code(() => parseClientMessage('x'.repeat(MAX_SIGNAL_MESSAGE_BYTES + 1))), 'too-large');
  assert.equal(code(() => parseClientMessage({ v: 2, type: 'have', assets: [] })), 'unsupported-version');
  assert.equal(code(() => parseClientMessage({ v: 1, type: 'teleport' })), 'unknown-type');
  assert.equal(code(() => parseClientMessage({ v: 1, type: 'offer', to: '../etc', session: 's', sdp: '' })), 'bad-message');
  assert.equal(code(() => parseClientMessage({ v: 1, type: 'have', assets: Array(MAX_ASSETS_PER_MESSAGE + 1).fill('a') })), 'bad-message');
  assert.equal(code(() => parseClientMessage({ v: 1, type: 'candidate', to: 'p', session: 's', candidate: 7, mid: '0' })), 'bad-message');
  assert.equal(code(() => parseClientMessage('[]')), 'bad-message');
  assert.equal(code(() => parseClientMessage({ v: 1, type: 'hello', role: 'admin' })), 'bad-message');
});

test('server messages: relayed descriptions carry `from`; holders keep only listed seeders', () => {
  assert.deepEqual(parseServerMessage({ v: 1, type: 'answer', from: 'p2', session: 's', sdp: 'v=0' }),
    { v: 1, type: 'answer', from: 'p2', session: 's', sdp: 'v=0' });
  assert.deepEqual(parseServerMessage({ v: 1, type: 'holders', asset: 'a', peers: ['p1', 'seed'], seeders: ['seed', 'other'] }),
    { v: 1, type: 'holders', asset: 'a', peers: ['p1', 'seed'], seeders: ['seed'] });
  assert.deepEqual(parseServerMessage({ v: 1, type: 'holders', asset: 'a', peers: [], busy: 2 }), { v: 1, type: 'holders', asset: 'a', peers: [], busy: 2 });
  for (const busy of [0, -1, 1.5, 5, '2', null]) {
    assert.throws(() => parseServerMessage({ v: 1, type: 'holders', asset: 'a', peers: [], busy } as never), /busy/, String(busy));
  }
  assert.equal(code(() => parseServerMessage({ v: 1, type: 'welcome', id: 'p', iceServers: [1] })), 'bad-message');
});
