import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInboxMessage } from '../../proxy/cluster/instance-relay.js';

test('inbox: relayed offer, answer, candidate and peer-gone parse', () => {
  const offer = { to: 'h', m: { v: 1, type: 'offer', from: 'a', session: 's1', sdp: 'v=0' } };
  assert.deepEqual(parseInboxMessage(JSON.stringify(offer)), offer);
  const candidate = { to: 'h', m: { v: 1, type: 'candidate', from: 'a', session: 's1', candidate: 'candidate:1 1 udp 1 198.18.0.1 1 typ host', mid: '0' } };
  assert.deepEqual(parseInboxMessage(JSON.stringify(candidate)), candidate);
  assert.deepEqual(parseInboxMessage('{"to":"h","m":{"v":1,"type":"answer","from":"a","session":"s","sdp":"x"}}').m.type, 'answer');
  assert.deepEqual(parseInboxMessage('{"to":"h","m":{"v":1,"type":"peer-gone","peer":"a"}}').m, { v: 1, type: 'peer-gone', peer: 'a' });
});

test('inbox: only relayable messages cross instances (no welcome, holders or error; no oversized SDP; no missing recipient)', () => {
  for (const bad of [
    '{"to":"h","m":{"v":1,"type":"welcome","id":"x","iceServers":[]}}',
    '{"to":"h","m":{"v":1,"type":"holders","asset":"a","peers":["x"]}}',
    '{"m":{"v":1,"type":"peer-gone","peer":"a"}}',
    `{"to":"h","m":{"v":1,"type":"offer","from":"a","session":"s","sdp":"${'x'.repeat(40_000)}"}}`,
    '{"to":"h","m":{"v":2,"type":"peer-gone","peer":"a"}}',
    'nope',
  ]) assert.throws(() => parseInboxMessage(bad), Error, bad.slice(0, 60));
});
