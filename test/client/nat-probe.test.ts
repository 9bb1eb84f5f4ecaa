import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyNat, stunUrls } from '../../client/peer/nat-probe.js';

// Candidate lines as Chromium writes them (RFC 8839 grammar).
const host = (ip: string, port: number): string => `candidate:1 1 udp 2122260223 ${ip} ${port} typ host generation 0 network-id 1`;
const srflx = (ip: string, port: number, raddr: string, rport: number): string =>
  `candidate:2 1 udp 1686052607 ${ip} ${port} typ srflx raddr ${raddr} rport ${rport} generation 0 network-id 1`;
const tcpHost = 'candidate:3 1 tcp 1518280447 198.19.1.2 9 typ host tcptype active generation 0';

test('NAT classification: two STUN servers, one base mapped to two public ports → symmetric', () => {
  const lines = [host('198.19.1.2', 50_000), srflx('198.18.0.11', 61_001, '198.19.1.2', 50_000), srflx('198.18.0.11', 61_002, '198.19.1.2', 50_000)];
  assert.equal(classifyNat(lines, 2), 'symmetric');
});

test('NAT classification: two STUN servers, one mapping (browsers drop the duplicate) → cone', () => {
  assert.equal(classifyNat([host('198.19.1.2', 50_000), srflx('198.18.0.11', 50_000, '198.19.1.2', 50_000)], 2), 'cone');
  // Two interfaces, each with its own single mapping: still cone.
  assert.equal(classifyNat([
    srflx('198.18.0.11', 40_001, '198.19.1.2', 50_000), srflx('198.18.0.11', 40_002, '198.19.9.2', 50_010),
  ], 2), 'cone');
});

test('NAT classification: one STUN server can only tell cone or unknown, never symmetric', () => {
  const lines = [srflx('198.18.0.11', 61_001, '198.19.1.2', 50_000), srflx('198.18.0.11', 61_002, '198.19.1.2', 50_000)];
  assert.equal(classifyNat(lines, 1), 'cone');
  assert.equal(classifyNat([host('198.19.1.2', 50_000)], 1), 'unknown');
});

test('NAT classification: reflexive address equal to a host address → open', () => {
  assert.equal(classifyNat([host('198.18.0.5', 50_000), srflx('198.18.0.5', 50_000, '198.18.0.5', 50_000)], 2), 'open');
  // mDNS-hidden host (a .local name) but the base is given: still open.
  assert.equal(classifyNat([host('0b6a.local', 50_000), srflx('198.18.0.5', 50_000, '198.18.0.5', 50_000)], 1), 'open');
});

test('NAT classification: no reflexive candidate → unknown; hidden bases still detect symmetric', () => {
  assert.equal(classifyNat([], 2), 'unknown');
  assert.equal(classifyNat([host('198.19.1.2', 50_000), tcpHost, 'garbage', ''], 2), 'unknown');
  // Chromium with mDNS on sends raddr 0.0.0.0 rport 0: every mapping counts against that one base.
  assert.equal(classifyNat([srflx('198.18.0.11', 61_001, '0.0.0.0', 0), srflx('198.18.0.11', 61_002, '0.0.0.0', 0)], 2), 'symmetric');
  assert.equal(classifyNat([srflx('198.18.0.11', 61_001, '0.0.0.0', 0)], 2), 'cone');
});

test('NAT probe servers: STUN URLs as given, UDP TURN servers asked as STUN, one per host:port', () => {
  assert.deepEqual(stunUrls([
    { urls: 'stun:stun.example:3478' },
    { urls: ['turn:turn.example:3478?transport=udp', 'turn:turn.example:3478?transport=tcp', 'turns:turn.example:5349'], username: 'u', credential: 'c' },
    { urls: 'turn:stun.example:3478' },
    { urls: 'https://not-ice' },
  ]), ['stun:stun.example:3478', 'stun:turn.example:3478']);
  assert.deepEqual(stunUrls([]), []);
});
