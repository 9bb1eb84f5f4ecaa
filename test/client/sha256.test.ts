import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { sha256Hex, sha256Portable, toHex } from '../../client/utils/sha256.js';

test('portable SHA-256 matches node:crypto across block boundaries', () => {
  for (const length of [0, 1, 55, 56, 63, 64, 65, 1000, 70_001]) {
    const bytes = new Uint8Array(randomBytes(length));
    assert.equal(toHex(sha256Portable(bytes)), createHash('sha256').update(bytes).digest('hex'), `length ${length}`);
  }
});

test('sha256Hex (WebCrypto path) matches node:crypto', async () => {
  const bytes = new Uint8Array(randomBytes(4097));
  assert.equal(await sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'));
});
