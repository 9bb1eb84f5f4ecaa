import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HTTP_MIN_ATTEMPTS, HTTP_RECOVER_SHARE, HTTP_RETRY_ATTEMPTS, HTTP_SUCCESS_FLOOR, LINK_HALF_LIFE_MS, MAX_LINK_REPORTS_PER_SESSION,
  NetworkConnectivity, TOP_NETWORKS, pairType,
} from '../../proxy/signaling/connectivity.js';

const NET = '203.0.113.0/24';
const OTHER = '198.51.100.0/24';
const FAILED = { ok: false } as const;
const DIRECT = { ok: true, local: 'srflx', remote: 'host' } as const;

/** A learner on a clock the test moves by hand. */
function learner(maxNetworks?: number) {
  const clock = { now: 1_000_000 };
  const connectivity = new NetworkConnectivity({ now: () => clock.now, ...(maxNetworks !== undefined ? { maxNetworks } : {}) });
  const repeat = (network: string, outcome: { ok: boolean }, times: number) => {
    for (let i = 0; i < times; i++) connectivity.record(network, outcome);
  };
  return { clock, connectivity, repeat };
}

test('the constants hang together: one session cannot mark a network alone; recovery sits above the floor', () => {
  assert.ok(MAX_LINK_REPORTS_PER_SESSION < HTTP_MIN_ATTEMPTS);
  assert.ok(HTTP_RECOVER_SHARE > HTTP_SUCCESS_FLOOR);
  assert.ok(HTTP_RETRY_ATTEMPTS < HTTP_MIN_ATTEMPTS);
});

test('pairType: relay when either end used TURN, host only when both were host, srflx/prflx through a NAT mapping', () => {
  assert.equal(pairType('host', 'host'), 'host');
  assert.equal(pairType('host', 'srflx'), 'srflx');
  assert.equal(pairType('prflx', 'host'), 'srflx');
  assert.equal(pairType('relay', 'host'), 'relay');
  assert.equal(pairType('srflx', 'relay'), 'relay');
  assert.equal(pairType(undefined, undefined), 'unknown');
  assert.equal(pairType('host', undefined), 'unknown');
});

test(`a network is marked http after ${HTTP_MIN_ATTEMPTS} failed attempts, not before; other networks stay peer`, () => {
  const { connectivity, repeat } = learner();
  assert.equal(connectivity.mode(NET), 'peer', 'unknown networks use peers');
  repeat(NET, FAILED, HTTP_MIN_ATTEMPTS - 1);
  assert.equal(connectivity.mode(NET), 'peer', 'too little evidence yet');
  connectivity.record(NET, FAILED);
  assert.equal(connectivity.mode(NET), 'http');
  assert.equal(connectivity.mode(OTHER), 'peer');
  assert.equal(connectivity.httpNetworks(), 1);
});

test('a network whose share of successes stays at or above the floor is never marked', () => {
  const { connectivity, repeat } = learner();
  // One success in four: exactly the floor.
  for (let i = 0; i < 5; i++) {
    connectivity.record(NET, DIRECT);
    repeat(NET, FAILED, 3);
  }
  assert.equal(HTTP_SUCCESS_FLOOR, 0.25);
  assert.equal(connectivity.mode(NET), 'peer');
  connectivity.record(NET, FAILED);
  assert.equal(connectivity.mode(NET), 'http', 'one more failure drops it under the floor');
});

test('successes unmark a network only once their share reaches the recovery share (no flapping at the floor)', () => {
  const { connectivity, repeat } = learner();
  repeat(NET, FAILED, HTTP_MIN_ATTEMPTS);
  assert.equal(connectivity.mode(NET), 'http');
  // 3 of 11 is above the floor, but below the recovery share: still http.
  repeat(NET, DIRECT, 3);
  assert.equal(connectivity.mode(NET), 'http');
  repeat(NET, DIRECT, HTTP_MIN_ATTEMPTS - 1 - 3);
  assert.equal(connectivity.mode(NET), 'http', `${HTTP_MIN_ATTEMPTS - 1} of ${2 * HTTP_MIN_ATTEMPTS - 1} is still under half`);
  connectivity.record(NET, DIRECT);
  assert.equal(connectivity.mode(NET), 'peer');
  assert.equal(connectivity.httpNetworks(), 0);
});

test('decay: counts halve every half-life; a marked network gets peers again once its evidence decays below the retry level', () => {
  const { clock, connectivity, repeat } = learner();
  repeat(NET, FAILED, HTTP_MIN_ATTEMPTS);
  repeat(NET, DIRECT, 1);
  assert.equal(connectivity.stats().top[0]?.attempts, HTTP_MIN_ATTEMPTS + 1);
  clock.now += LINK_HALF_LIFE_MS;
  const halved = connectivity.stats().top[0];
  assert.equal(halved?.attempts, (HTTP_MIN_ATTEMPTS + 1) / 2);
  assert.equal(halved?.successes, 0.5);
  assert.equal(halved?.pairs.srflx, 0.5);
  assert.equal(connectivity.mode(NET), 'http', 'one half-life later the evidence still holds');
  assert.equal(connectivity.httpNetworks(), 1);
  clock.now += LINK_HALF_LIFE_MS;
  assert.equal(connectivity.httpNetworks(), 0, 'the gauge follows decay without new reports');
  assert.equal(connectivity.mode(NET), 'peer');
  // Old failures no longer count in full: a fresh burst is needed to mark it again.
  repeat(NET, FAILED, HTTP_MIN_ATTEMPTS - 3);
  assert.equal(connectivity.mode(NET), 'peer');
  repeat(NET, FAILED, 1);
  assert.equal(connectivity.mode(NET), 'http');
});

test('a clock going backwards decays nothing', () => {
  const { clock, connectivity, repeat } = learner();
  repeat(NET, FAILED, 4);
  clock.now -= LINK_HALF_LIFE_MS;
  assert.equal(connectivity.stats().top[0]?.attempts, 4);
});

test('bounded: the least recently seen network is forgotten, marked or not', () => {
  const { connectivity, repeat } = learner(3);
  repeat('n1', FAILED, HTTP_MIN_ATTEMPTS);
  repeat('n2', FAILED, 1);
  repeat('n3', FAILED, 1);
  assert.equal(connectivity.httpNetworks(), 1);
  // Reading n1 (a page view) keeps it; n2 is now the least recently seen.
  assert.equal(connectivity.mode('n1'), 'http');
  repeat('n4', FAILED, 1);
  assert.deepEqual(connectivity.stats().top.map((n) => n.network).sort(), ['n1', 'n3', 'n4']);
  repeat('n5', FAILED, 1);
  repeat('n6', FAILED, 1);
  repeat('n7', FAILED, 1);
  assert.equal(connectivity.stats().networks, 3);
  assert.equal(connectivity.httpNetworks(), 0, 'an evicted marked network is no longer counted');
  assert.equal(connectivity.mode('n1'), 'peer');
});

test('stats: top networks by attempts, most first, bounded, with successes by pair type and mode', () => {
  const { connectivity, repeat } = learner();
  for (let i = 0; i < TOP_NETWORKS + 5; i++) repeat(`net-${i}`, FAILED, 1 + (i % 3));
  repeat(NET, FAILED, HTTP_MIN_ATTEMPTS);
  connectivity.record(OTHER, { ok: true, local: 'host', remote: 'host' });
  connectivity.record(OTHER, { ok: true, local: 'relay', remote: 'srflx' });
  repeat(OTHER, DIRECT, 3);
  repeat(OTHER, { ok: true }, 1);
  const stats = connectivity.stats();
  assert.equal(stats.networks, TOP_NETWORKS + 7);
  assert.equal(stats.httpNetworks, 1);
  assert.equal(stats.top.length, TOP_NETWORKS);
  assert.deepEqual(stats.top[0], { network: NET, attempts: HTTP_MIN_ATTEMPTS, successes: 0, pairs: { host: 0, srflx: 0, relay: 0, unknown: 0 }, mode: 'http' });
  assert.deepEqual(stats.top[1], { network: OTHER, attempts: 6, successes: 6, pairs: { host: 1, srflx: 3, relay: 1, unknown: 1 }, mode: 'peer' });
  const attempts = stats.top.map((n) => n.attempts);
  assert.deepEqual(attempts, [...attempts].sort((a, b) => b - a));
  assert.deepEqual(connectivity.stats(2).top.map((n) => n.network), [NET, OTHER]);
});
