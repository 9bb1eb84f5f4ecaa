import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../client/config/read-config.js';
import { MAX_IMAGE_DIMENSION } from '../../protocol/client-config.js';

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

test('parseConfig keeps a non-negative integer hedgeMs (0: never hedge) and drops anything else', () => {
  assert.equal(parseConfig({ v: 1, prefix: '/p', hedgeMs: 0 })?.hedgeMs, 0);
  assert.equal(parseConfig({ v: 1, prefix: '/p', hedgeMs: 450 })?.hedgeMs, 450);
  assert.equal(parseConfig({ v: 1, prefix: '/p', hedgeMs: -1 })?.hedgeMs, undefined);
  assert.equal(parseConfig({ v: 1, prefix: '/p', hedgeMs: '300' })?.hedgeMs, undefined);
  assert.equal(parseConfig({ v: 1, prefix: '/p', hedgeMs: 1.5 })?.hedgeMs, undefined);
});

test('parseConfig keeps well-formed asset entries (same-origin paths, asset ids, hex SHA-256) and drops the rest', () => {
  const good = { url: '/images/a.png?v=1', id: 'AAAAAAAAAAAAAAAAAAAAAA', sha256: 'c'.repeat(64), size: 10, type: 'image/png' };
  const config = parseConfig({
    v: 1, prefix: '/p',
    assets: [good, { ...good, url: '//evil.test/x.png' }, { ...good, url: 'http://evil.test/x.png' }, { ...good, id: 'short' }, { ...good, sha256: 'C'.repeat(64) }, { ...good, size: -1 }, null],
  });
  assert.deepEqual(config?.assets, [good]);
  assert.equal(parseConfig({ v: 1, prefix: '/p', assets: 'nope' })?.assets, undefined);
});

test('parseConfig keeps an asset\'s width and height only as a pair of integers within bounds (the entry itself stays)', () => {
  const good = { url: '/images/a.png', id: 'AAAAAAAAAAAAAAAAAAAAAA', sha256: 'c'.repeat(64), size: 10, type: 'image/png' };
  const sizes: Record<string, unknown>[] = [
    { width: 640, height: 360 }, { width: 640 }, { width: 0, height: 10 }, { width: 1.5, height: 10 }, { width: '640', height: '360' },
    { width: MAX_IMAGE_DIMENSION + 1, height: 10 }, { width: -4, height: 3 }, { width: MAX_IMAGE_DIMENSION, height: 1 },
  ];
  const config = parseConfig({ v: 1, prefix: '/p', assets: sizes.map((size) => ({ ...good, ...size })) });
  assert.deepEqual(config?.assets?.map(({ width, height }) => (width === undefined && height === undefined ? null : { width, height })), [
    { width: 640, height: 360 }, null, null, null, null, null, null, { width: MAX_IMAGE_DIMENSION, height: 1 },
  ]);
});

test('parseConfig keeps a ws:// or wss:// trackerUrl (P2P_TRACKER_URL) and drops anything else', () => {
  assert.equal(parseConfig({ v: 1, prefix: '/p', trackerUrl: 'wss://tracker.example.com/announce' })?.trackerUrl, 'wss://tracker.example.com/announce');
  assert.equal(parseConfig({ v: 1, prefix: '/p', trackerUrl: 'ws://127.0.0.1:8000' })?.trackerUrl, 'ws://127.0.0.1:8000');
  assert.equal(parseConfig({ v: 1, prefix: '/p', trackerUrl: 'javascript:alert(1)' })?.trackerUrl, undefined);
  assert.equal(parseConfig({ v: 1, prefix: '/p', trackerUrl: 'https://tracker.example.com' })?.trackerUrl, undefined);
  assert.equal(parseConfig({ v: 1, prefix: '/p', trackerUrl: `wss://t.example.com/${'a'.repeat(3000)}` })?.trackerUrl, undefined);
  assert.equal(parseConfig({ v: 1, prefix: '/p' })?.trackerUrl, undefined);
});
