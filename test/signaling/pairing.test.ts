import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickHolders, proximity, TIER, type HolderCandidate } from '../../proxy/signaling/pairing.js';
import { GeoLookup } from '../../proxy/signaling/geo-lookup.js';
import { LOCAL_NETWORK, expandIpv6, isLocalAddress, networkKey } from '../../proxy/signaling/network-key.js';

// Addresses whose country geoip-lite's bundled database knows (checked against its data).
const GB_A = '81.2.69.160';
const GB_B = '81.2.70.1';
const NL = '193.0.6.139';
const JP = '202.12.27.33';
const US = '8.8.8.8';
const DE_V6 = '2a00:1450:4001::1';

const geo = new GeoLookup();

function located(id: string, address: string, role: 'browser' | 'seeder' = 'browser', extra: Partial<HolderCandidate> = {}): HolderCandidate {
  const country = geo.country(address);
  return {
    id, role, network: networkKey(address), ...(country ? { country } : {}),
    lastServedAt: 0, activeUploads: 0, maxUploads: 4, ...extra,
  };
}

function asker(address: string) {
  const country = geo.country(address);
  return { id: 'asker', network: networkKey(address), ...(country ? { country } : {}) };
}

test('networkKey: /24 for IPv4, /48 for IPv6, one key for every private or loopback address', () => {
  assert.equal(networkKey('81.2.69.160'), '81.2.69.0/24');
  assert.equal(networkKey('2a00:1450:4001:81c::200e'), '2a00:1450:4001::/48');
  assert.equal(networkKey('2a00:1450::1'), '2a00:1450:0000::/48');
  for (const local of ['127.0.0.1', '10.1.2.3', '192.168.1.9', '172.20.0.1', '198.18.0.1', '::1', 'fd00::1', 'fe80::1']) {
    assert.equal(networkKey(local), LOCAL_NETWORK, local);
    assert.equal(isLocalAddress(local), true, local);
  }
  assert.equal(isLocalAddress('8.8.8.8'), false);
  assert.deepEqual(expandIpv6('::ffff:1.2.3.4'), ['0000', '0000', '0000', '0000', '0000', 'ffff', '0102', '0304']);
});

test('geo: geoip-lite locates fixed addresses of known countries, not private ones', () => {
  assert.equal(geo.country(GB_A), 'GB');
  assert.equal(geo.country(GB_B), 'GB');
  assert.equal(geo.country(NL), 'NL');
  assert.equal(geo.country(JP), 'JP');
  assert.equal(geo.country(US), 'US');
  assert.equal(geo.country(DE_V6), 'DE');
  assert.equal(geo.country('10.0.0.1'), undefined);
});

test('pairing prefers the same /24, then the same country, then anyone', () => {
  const holders = [
    located('japan', JP),
    located('netherlands', NL),
    located('same-country', GB_B),
    located('same-subnet', '81.2.69.7'),
  ];
  assert.deepEqual(pickHolders(asker(GB_A), holders, { limit: 4, geo: true }), ['same-subnet', 'same-country', 'japan', 'netherlands']);
  assert.equal(proximity(asker(GB_A), located('x', '81.2.69.7')), TIER.network);
  assert.equal(proximity(asker(GB_A), located('x', GB_B)), TIER.country);
  assert.equal(proximity(asker(GB_A), located('x', JP)), TIER.anywhere);
});

test('pairing prefers the same ASN over the same country when an ASN is known', () => {
  const sameAsn = { ...located('same-asn', NL), asn: 64_500 };
  const sameCountry = located('same-country', GB_B);
  const me = { ...asker(GB_A), asn: 64_500 };
  assert.deepEqual(pickHolders(me, [sameCountry, sameAsn], { limit: 2, geo: true }), ['same-asn', 'same-country']);
});

test('pairing: private and loopback peers count as the same network', () => {
  const holders = [located('remote-same-country', GB_B), located('lan', '192.168.0.20')];
  assert.deepEqual(pickHolders(asker('10.0.0.5'), holders, { limit: 2, geo: true }), ['lan', 'remote-same-country']);
});

test('pairing: browsers before the seeder, even when the seeder is closer', () => {
  const holders = [located('seeder', '81.2.69.1', 'seeder', { maxUploads: 50 }), located('far-browser', JP)];
  assert.deepEqual(pickHolders(asker(GB_A), holders, { limit: 4, geo: true }), ['far-browser', 'seeder']);
  // Four browsers fill the list: the seeder is only the fallback.
  const many = [located('seeder', GB_B, 'seeder', { maxUploads: 50 }), ...['a', 'b', 'c', 'd'].map((id) => located(id, JP))];
  assert.deepEqual(pickHolders(asker(GB_A), many, { limit: 4, geo: true }), ['a', 'b', 'c', 'd']);
});

test('pairing: least recently served first, busy holders skipped, excluded and self never offered', () => {
  const holders = [
    located('recent', JP, 'browser', { lastServedAt: 5_000 }),
    located('old', JP, 'browser', { lastServedAt: 1_000 }),
    located('busy', JP, 'browser', { activeUploads: 4, maxUploads: 4 }),
    located('reported', JP),
    located('asker', JP),
  ];
  assert.deepEqual(
    pickHolders(asker(GB_A), holders, { limit: 4, geo: true, exclude: new Set(['reported']) }),
    ['old', 'recent'],
  );
});

test('pairing without geo ignores closeness and orders by load only', () => {
  const holders = [
    located('same-subnet', '81.2.69.7', 'browser', { lastServedAt: 9_000 }),
    located('far', JP, 'browser', { lastServedAt: 1_000 }),
  ];
  assert.deepEqual(pickHolders(asker(GB_A), holders, { limit: 2, geo: false }), ['far', 'same-subnet']);
  assert.deepEqual(pickHolders(asker(GB_A), holders, { limit: 2, geo: true }), ['same-subnet', 'far']);
});

test('pairing returns at most `limit` holders', () => {
  const holders = Array.from({ length: 10 }, (_, i) => located(`h${i}`, JP));
  assert.equal(pickHolders(asker(GB_A), holders, { limit: 4, geo: true }).length, 4);
  assert.deepEqual(pickHolders(asker(GB_A), [], { limit: 4, geo: true }), []);
});
