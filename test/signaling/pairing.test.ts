import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NatKind } from '../../protocol/signal-messages.js';
import { REACH, pickHolders, proximity, reach, TIER, type HolderCandidate } from '../../proxy/signaling/pairing.js';
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
  assert.equal(networkKey('::ffff:81.2.69.160'), '81.2.69.0/24', 'IPv4-mapped');
  // The emulated internet of the tests uses 198.18.0.0/15 as its public address space.
  assert.equal(networkKey('198.18.3.7'), '198.18.3.0/24');
  assert.equal(isLocalAddress('198.18.0.1'), false);
  for (const local of ['127.0.0.1', '10.1.2.3', '192.168.1.9', '172.20.0.1', '::1', 'fd00::1', 'fe80::1']) {
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

// ── reachability: reported NAT kinds, one home, TURN ─────────────────────────
const HOME = '81.2.69.160';

function natHolder(id: string, address: string, nat: NatKind | undefined, role: 'browser' | 'seeder' = 'browser'): HolderCandidate {
  return { ...located(id, address, role, role === 'seeder' ? { maxUploads: 50 } : {}), address, ...(nat ? { nat } : {}) };
}

function natAsker(address: string, nat: NatKind | undefined) {
  return { ...asker(address), address, ...(nat ? { nat } : {}) };
}

test('reach: cone/open reach anything, symmetric only cone/open; symmetric×symmetric only through TURN; one address is one home', () => {
  const at = (nat: NatKind | undefined, address = JP) => ({ address, ...(nat ? { nat } : {}) });
  for (const easy of ['open', 'cone'] as const) {
    for (const other of ['open', 'cone', 'symmetric', 'unknown', undefined] as const) {
      assert.equal(reach(at(easy), at(other, NL), false), REACH.direct, `${easy}×${String(other)}`);
      assert.equal(reach(at(other), at(easy, NL), false), REACH.direct, `${String(other)}×${easy}`);
    }
  }
  assert.equal(reach(at('symmetric'), at('symmetric', NL), false), REACH.never);
  assert.equal(reach(at('symmetric'), at('symmetric', NL), true), REACH.relay);
  assert.equal(reach(at('symmetric'), at('symmetric'), false), REACH.direct, 'behind one address: the same NAT, host candidates');
  assert.equal(reach(at('symmetric'), at('unknown', NL), false), REACH.unknown);
  assert.equal(reach(at(undefined), at(undefined, NL), false), REACH.unknown);
  assert.equal(reach(at('symmetric'), { ...at('symmetric', NL), role: 'seeder' }, false), REACH.direct, 'the seeder counts as open');
});

test('pairing: same home, then same subnet, then holders that can reach the asker, then unknown NATs; never symmetric×symmetric without TURN', () => {
  const holders = [
    natHolder('seeder', '127.0.0.1', undefined, 'seeder'),
    natHolder('far-symmetric', JP, 'symmetric'),
    natHolder('far-unknown', NL, undefined),
    natHolder('far-cone', JP, 'cone'),
    natHolder('country-unknown', GB_B, 'unknown'),
    natHolder('same-home', HOME, 'symmetric'),
    natHolder('subnet-cone', '81.2.69.7', 'cone'),
    natHolder('subnet-symmetric', '81.2.69.8', 'symmetric'),
  ];
  const me = natAsker(HOME, 'symmetric');
  assert.deepEqual(
    pickHolders(me, holders, { limit: 8, geo: true }),
    ['same-home', 'subnet-cone', 'far-cone', 'country-unknown', 'far-unknown', 'seeder'],
  );
  assert.deepEqual(
    pickHolders(me, holders, { limit: 8, geo: true, turnAvailable: true }),
    ['same-home', 'subnet-cone', 'subnet-symmetric', 'far-cone', 'country-unknown', 'far-unknown', 'far-symmetric', 'seeder'],
    'with TURN, relay-only pairs come after every likely direct one (same subnet still first)',
  );
  // A cone asker reaches every kind: closeness and load decide, as before.
  assert.deepEqual(
    pickHolders(natAsker(HOME, 'cone'), holders, { limit: 8, geo: true }),
    ['same-home', 'subnet-cone', 'subnet-symmetric', 'country-unknown', 'far-cone', 'far-symmetric', 'far-unknown', 'seeder'],
  );
});

test('pairing: two symmetric NATs are never paired without TURN, even with nobody else; the seeder (open) still is', () => {
  const holders = [natHolder('symmetric', JP, 'symmetric'), natHolder('seeder', '127.0.0.1', 'symmetric', 'seeder')];
  const me = natAsker(GB_A, 'symmetric');
  assert.deepEqual(pickHolders(me, holders, { limit: 4, geo: true }), ['seeder']);
  assert.deepEqual(pickHolders(me, holders, { limit: 4, geo: false }), ['seeder'], 'with geo off as well');
  assert.deepEqual(pickHolders(me, holders, { limit: 4, geo: true, turnAvailable: true }), ['symmetric', 'seeder'], 'browsers still before the seeder');
  assert.deepEqual(pickHolders(me, [natHolder('symmetric', JP, 'symmetric')], { limit: 4, geo: true }), []);
});

test('pairing without geo still ranks by reach before load', () => {
  const holders = [
    natHolder('unknown-idle', JP, undefined),
    { ...natHolder('cone-busy', NL, 'cone'), lastServedAt: 9_000 },
  ];
  assert.deepEqual(pickHolders(natAsker(GB_A, 'symmetric'), holders, { limit: 2, geo: false }), ['cone-busy', 'unknown-idle']);
  assert.deepEqual(pickHolders(natAsker(GB_A, undefined), holders, { limit: 2, geo: false }), ['cone-busy', 'unknown-idle'], 'a cone holder reaches an asker of unknown NAT');
  assert.deepEqual(
    pickHolders(asker(GB_A), [natHolder('a', JP, undefined), { ...natHolder('b', NL, undefined), lastServedAt: 9_000 }], { limit: 2, geo: false }),
    ['a', 'b'], 'nobody reported a NAT: load decides, as before',
  );
});

test('pairing: among equals, the holder whose uplink carries fewer transfers comes first; an uplink at the cap is skipped', () => {
  const holders = [
    located('busy-home', GB_A, 'browser', { uplinkUploads: 5, activeUploads: 1 }),
    located('quiet-home', GB_B, 'browser', { uplinkUploads: 1, activeUploads: 1 }),
  ];
  assert.deepEqual(pickHolders(asker(US), holders, { limit: 4, geo: false }), ['quiet-home', 'busy-home']);
  assert.deepEqual(pickHolders(asker(US), holders, { limit: 4, geo: false, maxUplinkUploads: 5 }), ['quiet-home']);
  const seeder = located('seeder', NL, 'seeder', { uplinkUploads: 99, activeUploads: 0 });
  assert.deepEqual(pickHolders(asker(US), [seeder], { limit: 4, geo: false, maxUplinkUploads: 5 }), ['seeder'], 'a seeder has no home uplink');
});
