import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../client/config/read-config.js';

test('parseConfig keeps valid fields and trims the prefix slash', () => {
  const config = parseConfig({ v: 1, prefix: '/__p2p/', peerTimeoutMs: 1500, iceServers: ['stun:a', 3], mediaTypes: ['image', 'bogus'], fault: 'corrupt-bytes' });
  assert.deepEqual(config, { v: 1, prefix: '/__p2p', peerTimeoutMs: 1500, iceServers: ['stun:a'], mediaTypes: ['image'], fault: 'corrupt-bytes' });
});

test('parseConfig rejects unusable blocks and ignores unknown faults', () => {
  assert.equal(parseConfig(null), undefined);
  assert.equal(parseConfig({ v: 2, prefix: '/__p2p' }), undefined);
  assert.equal(parseConfig({ v: 1, prefix: 'javascript:alert(1)' }), undefined);
  const config = parseConfig({ v: 1, prefix: '/p', peerTimeoutMs: -5, fault: 'explode' });
  assert.equal(config?.peerTimeoutMs, 2000);
  assert.equal(config?.fault, undefined);
  assert.deepEqual(config?.mediaTypes, ['image', 'video', 'audio']);
});
