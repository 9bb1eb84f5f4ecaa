import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientAddress } from '../../proxy/http/client-address.js';

function request(remoteAddress: string | undefined, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

const TRUSTED = new Set(['10.0.0.1', '10.0.0.2']);

test('without trusted proxies the socket address is the client; X-Forwarded-For is ignored', () => {
  assert.equal(clientAddress(request('198.51.100.9', '1.2.3.4'), new Set()), '198.51.100.9');
});

test('the socket address is normalised (IPv4-mapped IPv6 becomes IPv4)', () => {
  assert.equal(clientAddress(request('::ffff:198.51.100.9'), new Set()), '198.51.100.9');
  assert.equal(clientAddress(request('::ffff:10.0.0.1', '203.0.113.5'), TRUSTED), '203.0.113.5', 'a mapped trusted proxy is still trusted');
});

test('a direct peer that is not a trusted proxy cannot choose its address', () => {
  assert.equal(clientAddress(request('198.51.100.9', '1.2.3.4'), TRUSTED), '198.51.100.9');
});

test('behind a trusted proxy: the rightmost untrusted hop is the client', () => {
  assert.equal(clientAddress(request('10.0.0.1', '203.0.113.5'), TRUSTED), '203.0.113.5');
  assert.equal(clientAddress(request('10.0.0.1', '6.6.6.6, 203.0.113.5, 10.0.0.2'), TRUSTED), '203.0.113.5', 'a forged hop on the left is not believed');
  assert.equal(clientAddress(request('10.0.0.1', ' 203.0.113.5 ,10.0.0.2 '), TRUSTED), '203.0.113.5');
  assert.equal(clientAddress(request('10.0.0.1', '::ffff:203.0.113.5'), TRUSTED), '203.0.113.5');
  assert.equal(clientAddress(request('10.0.0.1', '2001:db8::5'), TRUSTED), '2001:db8::5');
});

test('behind a trusted proxy: entries that are not IP addresses are skipped', () => {
  assert.equal(clientAddress(request('10.0.0.1', '203.0.113.5, unknown, 203.0.113.5:1234, '), TRUSTED), '203.0.113.5');
});

test('behind a trusted proxy with no usable header, the proxy itself is the client', () => {
  assert.equal(clientAddress(request('10.0.0.1'), TRUSTED), '10.0.0.1');
  assert.equal(clientAddress(request('10.0.0.1', 'garbage'), TRUSTED), '10.0.0.1');
});

test('when every hop is trusted, the leftmost one is the client', () => {
  assert.equal(clientAddress(request('10.0.0.1', '10.0.0.2, 10.0.0.1'), TRUSTED), '10.0.0.2');
});

test('a socket without an address counts as 0.0.0.0', () => {
  assert.equal(clientAddress(request(undefined), new Set()), '0.0.0.0');
});
