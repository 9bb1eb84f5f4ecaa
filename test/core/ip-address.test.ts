import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeAddress } from '../../core/utils/ip-address.js';

test('IPv4-mapped IPv6 addresses become plain IPv4', () => {
  assert.equal(normalizeAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizeAddress('::ffff:203.0.113.9'), '203.0.113.9');
});

test('plain IPv4 and other IPv6 addresses are unchanged', () => {
  for (const address of ['127.0.0.1', '10.1.2.3', '::1', '2001:db8::1', 'fe80::1%eth0', '::ffff:7f00:1', '::']) {
    assert.equal(normalizeAddress(address), address);
  }
});

test('the prefix is stripped only when an IPv4 address follows it', () => {
  for (const address of ['::ffff:', '::ffff:not-an-ip', '::ffff:1.2.3', '::ffff:256.1.1.1', '::ffff:::1', '']) {
    assert.equal(normalizeAddress(address), address);
  }
});
