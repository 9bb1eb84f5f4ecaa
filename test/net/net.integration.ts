import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { createNetBed, type NetBed } from './bed.js';
import { launchBrowserIn } from './browser.js';
import { runIn } from './command.js';
import { mintTurnCredentials, startCoturn, TURN_PORT, type Coturn } from './coturn.js';
import { probeTcp, startAddressEcho } from './probe.js';
import { closePeer, connectPages, sendThrough, type PairResult } from './rtc-pair.js';

/** Seen 0.2–0.7 s on the bed; bounds a connection that should form. */
const CONNECT_TIMEOUT_MS = 15_000;
/**
 * Bounds a connection that must not form. Between symmetric NATs Chromium's
 * connectionState went to `failed` after ~15–16 s here (iceConnectionState stays
 * `disconnected`); 20 s covers that, and not connecting within it is what counts.
 */
const NO_CONNECT_WAIT_MS = 20_000;
/** The forged-credential test only looks at gathering (done before the wait starts). */
const GATHER_ONLY_WAIT_MS = 2_000;
const PAYLOAD_BYTES = 256 * 1024;
const PAYLOAD_TIMEOUT_MS = 10_000;
const ECHO_PORT = 7000;
/** Bounds each test and hook as a whole (bed set-up ~1 s, Chromium launch ~1 s). */
const STEP_TIMEOUT_MS = 60_000;
/** One-way delay on home 1's uplink in the WAN test; every frame waits at least this long each way. */
const WAN_DELAY_MS = 40;
const WAN_RATE = '20mbit';

async function openPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

/** Two fresh pages, one per browser, closed whatever the test's outcome. */
async function withPages(browsers: Browser[], body: (pages: Page[]) => Promise<void>): Promise<void> {
  const pages: Page[] = [];
  try {
    for (const browser of browsers) pages.push(await openPage(browser));
    await body(pages);
  } finally {
    for (const page of pages) {
      await closePeer(page).catch(() => undefined);
      await page.context().close().catch(() => undefined);
    }
  }
}

function describePair(t: TestContext, result: PairResult): void {
  const times = (states: PairResult['offerer']['states']): string => states.map((s) => `${s.state}@${s.atMs}ms`).join(' ');
  for (const [role, peer] of [['offerer', result.offerer], ['answerer', result.answerer]] as const) {
    t.diagnostic(`${role}: ${times(peer.states)}; open@${peer.openAtMs}ms; gathered ${peer.gathered.join(',')} (host ${peer.hostAddresses.join(',')}); selected ${JSON.stringify(peer.selected)}`);
  }
}

describe('emulated internet: two homes behind NAT routers, coturn on the public segment', () => {
  let bed: NetBed;
  let coturn: Coturn;
  const browsers: Browser[] = [];

  before(async () => {
    bed = await createNetBed({ homes: [{ nat: 'endpoint-independent' }, { nat: 'endpoint-independent' }] });
    coturn = await startCoturn(bed);
    for (const home of bed.homes) browsers.push(await launchBrowserIn(home.hosts[0]!.ns));
  }, { timeout: STEP_TIMEOUT_MS });

  after(async () => {
    for (const browser of browsers) await browser.close().catch(() => undefined);
    await bed?.close();
  });

  const stunOnly = (): RTCConfiguration => ({ iceServers: [{ urls: coturn.stunUrl }] });
  const withTurn = (username: string, credential: string): RTCConfiguration => ({
    iceServers: [{ urls: coturn.stunUrl }, { urls: coturn.turnUrl, username, credential }],
  });

  test('routing: a home host reaches pub as its router\'s WAN address; LANs and routers are closed to the outside', { timeout: STEP_TIMEOUT_MS }, async () => {
    const [home1, home2] = bed.homes;
    const echoPub = await startAddressEcho(bed, bed.pub, ECHO_PORT);
    const echoHome2 = await startAddressEcho(bed, home2!.hosts[0]!.ns, ECHO_PORT);
    try {
      assert.equal(await probeTcp(home1!.hosts[0]!.ns, bed.pubAddress, ECHO_PORT), home1!.wanAddress, 'NAT: pub sees the router, not 198.19.1.2');
      // Each of these waits out PROBE_TIMEOUT_MS, so they run together.
      const [fromPub, fromOtherHome, toRouter] = await Promise.all([
        probeTcp(bed.pub, home2!.hosts[0]!.address, ECHO_PORT),
        probeTcp(home1!.hosts[0]!.ns, home2!.hosts[0]!.address, ECHO_PORT),
        probeTcp(home1!.hosts[0]!.ns, home2!.wanAddress, ECHO_PORT),
      ]);
      assert.equal(fromPub, null, 'pub has no route into a home LAN');
      assert.equal(fromOtherHome, null, 'one home cannot reach another\'s LAN');
      assert.equal(toRouter, null, 'unsolicited traffic to a router is dropped');
    } finally {
      await echoPub.stop();
      await echoHome2.stop();
    }
  });

  test('endpoint-independent NATs, STUN only: data channel over srflx candidates, payload intact', { timeout: STEP_TIMEOUT_MS }, async (t) => {
    for (const home of bed.homes) await bed.setNat(home, 'endpoint-independent');
    await withPages(browsers, async ([a, b]) => {
      const result = await connectPages(a!, b!, stunOnly(), CONNECT_TIMEOUT_MS);
      describePair(t, result);
      assert.equal(result.state, 'connected');
      assert.deepEqual([result.offerer.selected?.local, result.offerer.selected?.remote], ['srflx', 'srflx']);
      assert.deepEqual([result.answerer.selected?.local, result.answerer.selected?.remote], ['srflx', 'srflx']);
      assert.ok(result.offerer.hostAddresses.every((address) => address.endsWith('.local')), `mDNS hides host addresses: ${result.offerer.hostAddresses.join(',')}`);
      const payload = randomBytes(PAYLOAD_BYTES);
      assert.ok((await sendThrough(a!, b!, payload, PAYLOAD_TIMEOUT_MS)).equals(payload), 'payload intact');
    });
  });

  test('symmetric NATs, STUN only: no connection forms', { timeout: STEP_TIMEOUT_MS }, async (t) => {
    for (const home of bed.homes) await bed.setNat(home, 'symmetric');
    await withPages(browsers, async ([a, b]) => {
      const result = await connectPages(a!, b!, stunOnly(), NO_CONNECT_WAIT_MS);
      describePair(t, result);
      assert.ok(result.offerer.gathered.includes('srflx'), 'STUN itself still works through a symmetric NAT');
      for (const peer of [result.offerer, result.answerer]) {
        assert.ok(!peer.states.some((s) => s.state === 'connected'), `never connected: ${JSON.stringify(peer.states)}`);
        assert.equal(peer.openAtMs, null);
      }
    });
  });

  test('symmetric NATs, TURN with ephemeral credentials: connects through a relay candidate', { timeout: STEP_TIMEOUT_MS }, async (t) => {
    for (const home of bed.homes) await bed.setNat(home, 'symmetric');
    await withPages(browsers, async ([a, b]) => {
      const { username, credential } = mintTurnCredentials(coturn.secret, 'visitor-a');
      const result = await connectPages(a!, b!, withTurn(username, credential), CONNECT_TIMEOUT_MS);
      describePair(t, result);
      assert.equal(result.state, 'connected');
      assert.ok(result.offerer.gathered.includes('relay'));
      t.diagnostic(`candidate errors: ${JSON.stringify(result.offerer.candidateErrors)}; coturn 401 for this user: ${coturn.log().split('\n').filter((line) => line.includes(`user <${username}>`) && /\b401\b/.test(line)).length}`);
      const types = [result.offerer.selected?.local, result.offerer.selected?.remote];
      assert.ok(types.includes('relay'), `selected pair uses the relay: ${types.join('/')}`);
      const payload = randomBytes(PAYLOAD_BYTES);
      assert.ok((await sendThrough(b!, a!, payload, PAYLOAD_TIMEOUT_MS)).equals(payload), 'payload intact');
    });
  });

  test('TURN refuses a forged credential: no relay candidate, 401', { timeout: STEP_TIMEOUT_MS }, async (t) => {
    await withPages(browsers, async ([a, b]) => {
      const { username } = mintTurnCredentials(coturn.secret, 'forger');
      const forged = mintTurnCredentials('not-the-secret', 'forger');
      const result = await connectPages(a!, b!, withTurn(username, forged.credential), GATHER_ONLY_WAIT_MS);
      describePair(t, result);
      t.diagnostic(`candidate errors: ${JSON.stringify(result.offerer.candidateErrors)}`);
      assert.ok(!result.offerer.gathered.includes('relay'), `no relay candidate: ${result.offerer.gathered.join(',')}`);
      assert.ok(result.offerer.candidateErrors.some((e) => e.errorCode === 401), 'Chromium saw 401');
      // Every allocation starts with a 401 challenge (`user <>`); a refusal names the user.
      const refusals = coturn.log().split('\n').filter((line) => line.includes(`user <${username}>`) && /\b401\b/.test(line));
      t.diagnostic(`coturn: ${refusals.slice(0, 2).join(' | ')}`);
      assert.ok(refusals.length > 0, 'coturn refused the forged credential with 401');
    });
  });
});

describe('emulated internet: a home with a slow uplink and several LAN hosts', () => {
  let bed: NetBed;
  let coturn: Coturn;

  before(async () => {
    bed = await createNetBed({
      homes: [
        { nat: 'endpoint-independent', hosts: 3, wan: { delayMs: WAN_DELAY_MS, rate: WAN_RATE } },
        { nat: 'endpoint-independent' },
      ],
    });
    coturn = await startCoturn(bed);
  }, { timeout: STEP_TIMEOUT_MS });

  after(async () => {
    await bed?.close();
  });

  /** One browser per namespace, closed whatever the test's outcome. */
  async function withBrowsers(namespaces: string[], mdnsHostCandidates: boolean, body: (pages: Page[]) => Promise<void>): Promise<void> {
    const browsers: Browser[] = [];
    try {
      for (const ns of namespaces) browsers.push(await launchBrowserIn(ns, { mdnsHostCandidates }));
      await withPages(browsers, body);
    } finally {
      for (const browser of browsers) await browser.close().catch(() => undefined);
    }
  }

  test(`WAN delay: with ${WAN_DELAY_MS} ms each way on one uplink, the selected pair's RTT is at least twice that`, { timeout: STEP_TIMEOUT_MS }, async (t) => {
    const [home1, home2] = bed.homes;
    await withBrowsers([home1!.hosts[0]!.ns, home2!.hosts[0]!.ns], true, async ([a, b]) => {
      const result = await connectPages(a!, b!, { iceServers: [{ urls: coturn.stunUrl }] }, CONNECT_TIMEOUT_MS);
      describePair(t, result);
      assert.equal(result.state, 'connected');
      assert.equal(result.offerer.selected?.local, 'srflx');
      const rtt = result.offerer.selected?.rtt;
      assert.ok(typeof rtt === 'number' && rtt >= (2 * WAN_DELAY_MS) / 1000, `RTT ${rtt} s`);
    });
  });

  test('one LAN, mDNS off: hosts behind the same router connect over host candidates without crossing the WAN', { timeout: STEP_TIMEOUT_MS }, async (t) => {
    const [home1] = bed.homes;
    await withBrowsers([home1!.hosts[1]!.ns, home1!.hosts[2]!.ns], false, async ([a, b]) => {
      const result = await connectPages(a!, b!, { iceServers: [{ urls: coturn.stunUrl }] }, CONNECT_TIMEOUT_MS);
      describePair(t, result);
      assert.equal(result.state, 'connected');
      assert.deepEqual([result.offerer.selected?.local, result.offerer.selected?.remote], ['host', 'host']);
      assert.deepEqual(result.offerer.hostAddresses, [home1!.hosts[1]!.address]);
    });
  });
});

// Sends `bytes` bytes to each client; prints `listening` once bound.
const BYTES_SERVER = `
const bytes = Number(process.argv[2]);
const server = require('node:http').createServer((req, res) => res.end(Buffer.alloc(bytes, 7)));
server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
`;
const FETCH = `
fetch(process.argv[1], { signal: AbortSignal.timeout(Number(process.argv[2])) })
  .then((r) => r.arrayBuffer()).then((b) => console.log('got ' + b.byteLength), (e) => console.log('failed ' + e.message));
`;
// One STUN binding request; prints whether coturn answered.
const STUN = `
const socket = require('node:dgram').createSocket('udp4');
const request = Buffer.alloc(20); request.writeUInt16BE(1, 0); request.writeUInt32BE(0x2112a442, 4); require('node:crypto').randomFillSync(request, 8, 12);
const timer = setTimeout(() => { console.log('unanswered'); process.exit(0); }, Number(process.argv[3]));
socket.on('message', () => { clearTimeout(timer); console.log('answered'); process.exit(0); });
socket.send(request, Number(process.argv[2]), process.argv[1]);
`;

describe('emulated internet: the server side\'s shared uplink', () => {
  let bed: NetBed;
  let coturn: Coturn;
  const BYTES = 2 * 1024 * 1024;
  const SERVER_PORT = 7100;
  const FETCH_TIMEOUT_MS = 20_000;

  before(async () => {
    bed = await createNetBed({ homes: [{ nat: 'endpoint-independent' }, { nat: 'symmetric' }], serverUplink: { rate: WAN_RATE } });
    coturn = await startCoturn(bed);
  }, { timeout: STEP_TIMEOUT_MS });

  after(async () => {
    await bed?.close();
  });

  test('what pub\'s programs send to every home passes the one shaped class; coturn\'s answers pass beside it', { timeout: STEP_TIMEOUT_MS }, async () => {
    const server = bed.spawn('bytes server', bed.pub, process.execPath, ['-e', BYTES_SERVER, String(SERVER_PORT), String(BYTES)]);
    await server.waitForOutput(/^listening$/m, 10_000);
    const before = await bed.serverUplinkBytes();
    const got = await Promise.all(bed.homes.map((home) => runIn(home.hosts[0]!.ns, process.execPath, ['-e', FETCH, `http://${bed.pubAddress}:${SERVER_PORT}/`, String(FETCH_TIMEOUT_MS)], FETCH_TIMEOUT_MS + 5_000)));
    for (const out of got) assert.match(out, new RegExp(`^got ${BYTES}$`, 'm'));
    const afterDownloads = await bed.serverUplinkBytes();
    assert.ok(afterDownloads.shaped - before.shaped >= 2 * BYTES, `shaped class sent ${afterDownloads.shaped - before.shaped} bytes for two downloads of ${BYTES}`);
    const stun = await runIn(bed.homes[0]!.hosts[0]!.ns, process.execPath, ['-e', STUN, bed.pubAddress, String(TURN_PORT), '3000'], 10_000);
    assert.match(stun, /^answered$/m);
    const afterStun = await bed.serverUplinkBytes();
    assert.ok(afterStun.unshaped > afterDownloads.unshaped, 'coturn\'s answer passed the unshaped class');
    assert.ok(afterStun.shaped - afterDownloads.shaped < 1_000, 'and not the shaped one');
    assert.equal(coturn.stunUrl, `stun:${bed.pubAddress}:${TURN_PORT}`);
    assert.equal((await runIn(bed.pub, 'sysctl', ['-n', 'net.ipv4.ip_local_port_range'])).trim().split(/\s+/).join(' '), '32768 49151');
  });
});
