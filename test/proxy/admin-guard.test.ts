import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { isAdminAuthorized } from '../../proxy/routes/admin-guard.js';

const TOKEN = 'correct-horse-battery-staple';

function check(authorization: string | undefined, path = '/__p2p/stats', token: string | null = TOKEN): boolean {
  const req = { headers: authorization === undefined ? {} : { authorization } } as IncomingMessage;
  return isAdminAuthorized(req, new URL(path, 'http://proxy.test'), token ?? undefined);
}

test('no configured token: every request is let in', () => {
  assert.equal(check(undefined, '/__p2p/stats', null), true);
  assert.equal(check('Bearer anything', '/__p2p/stats', null), true);
});

test('Bearer with the exact token is let in (surrounding spaces ignored)', () => {
  assert.equal(check(`Bearer ${TOKEN}`), true);
  assert.equal(check(`Bearer  ${TOKEN}  `), true);
  assert.equal(check(`bearer ${TOKEN}`), true, 'the scheme name is case-insensitive');
});

test('a missing, wrong, shorter, longer or differently cased token is refused', () => {
  for (const header of [undefined, '', 'Bearer', 'Bearer ', `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.toUpperCase()}`, TOKEN]) {
    assert.equal(check(header), false, String(header));
  }
});

test('another scheme carrying the token is refused', () => {
  assert.equal(check(`Basic ${TOKEN}`), false);
  assert.equal(check(`Token ${TOKEN}`), false);
});

test('?token= works when there is no Bearer header', () => {
  assert.equal(check(undefined, `/__p2p/dashboard?token=${encodeURIComponent(TOKEN)}`), true);
  assert.equal(check(undefined, '/__p2p/dashboard?token=wrong'), false);
  assert.equal(check(undefined, '/__p2p/dashboard?token='), false);
  assert.equal(check(`Basic abc`, `/__p2p/dashboard?token=${TOKEN}`), true, 'a non-Bearer Authorization does not hide the query token');
});

test('a Bearer header is what counts when both are given', () => {
  assert.equal(check('Bearer wrong', `/__p2p/dashboard?token=${TOKEN}`), false);
  assert.equal(check(`Bearer ${TOKEN}`, '/__p2p/dashboard?token=wrong'), true);
});
