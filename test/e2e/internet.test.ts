import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { createNetBed, type Home, type NetBed } from '../net/bed.js';
import { launchBrowserIn } from '../net/browser.js';
import { startCoturn, type Coturn } from '../net/coturn.js';
import { startDemoOrigin, type DemoOrigin } from '../net/demo-origin.js';
import { startPeerConnect, type PeerConnectProcess } from '../net/peerconnect.js';
import { imageStates, pixelDigests, scrollThrough, surface, visit, waitForHeld, waitForImagesPainted, type Visitor } from '../helpers/p2p-page.js';
import { rtcWatch, watchRtc, type WatchedConnection } from '../helpers/rtc-watch.js';
import type { DebugSurface } from '../../client/report/reporter.js';
import { RECONNECT_CAP_MS } from '../../client/signal/backoff.js';
import type { ConnectivityStats, NetworkConnectivity } from '../../protocol/stats.js';
import { HTTP_MIN_ATTEMPTS, MAX_LINK_REPORTS_PER_SESSION } from '../../proxy/signaling/connectivity.js';
import { networkKey } from '../../proxy/signaling/network-key.js';

/*
 * The product on an emulated internet (test/net/bed.ts): the proxy CLI, the demo
 * origin and coturn run as processes in the public segment, each visitor is a
 * Chromium context in a home behind a NAT router, and visitors open
 * http://198.18.0.1:<port>/ as they would a real site.
 *
 *   home 1: endpoint-independent NAT, two LAN hosts    home 3: symmetric NAT
 *   home 2: endpoint-independent NAT                   home 4: symmetric NAT
 */

const PROXY_PORT = 8080;
const ORIGIN_PORT = 8081;
/**
 * These tests check where bytes come from and why they fell back; a generous
 * per-image deadline keeps a loaded machine from turning a slow transfer into a
 * `timeout` fallback (the ICE failure path is judged by its own clock).
 */
const PEER_TIMEOUT_MS = 8_000;
/** Bounds one visitor's page settling (all images painted, records written). */
const SETTLE_TIMEOUT_MS = 30_000;
/** Report beacons and late link records. */
const RECORDS_TIMEOUT_MS = 15_000;
/** Bed (~2 s), coturn, origin and four Chromium (~1 s each). */
const SETUP_TIMEOUT_MS = 90_000;
/** The issue's bound: images go back to HTTP within this of the client giving up on ICE. */
const FALLBACK_AFTER_ICE_FAILURE_MS = 1_000;
/** coturn has 3478 on pub's address; the proxy's own STUN responder takes this one. */
const BUILTIN_STUN_PORT = 3479;
/** One scenario: a proxy start (~3 s with tsx) and two or three visitors. */
const SCENARIO_TIMEOUT_MS = 90_000;

let bed: NetBed;
let coturn: Coturn;
let origin: DemoOrigin;
/** One Chromium per home (its first host), mDNS host candidates on, as visitors have. */
const browsers = new Map<number, Browser>();
const visitors: Visitor[] = [];
let proxy: PeerConnectProcess | undefined;

before(async () => {
  bed = await createNetBed({
    homes: [
      { nat: 'endpoint-independent', hosts: 2 },
      { nat: 'endpoint-independent' },
      { nat: 'symmetric' },
      { nat: 'symmetric' },
    ],
  });
  coturn = await startCoturn(bed);
  origin = await startDemoOrigin(bed, ORIGIN_PORT);
  for (const home of bed.homes) browsers.set(home.index, await launchBrowserIn(home.hosts[0]!.ns));
}, { timeout: SETUP_TIMEOUT_MS });

after(async () => {
  for (const v of visitors) await v.context.close().catch(() => undefined);
  for (const browser of browsers.values()) await browser.close().catch(() => undefined);
  await proxy?.stop().catch(() => undefined);
  await bed?.close();
});

function home(index: number): Home {
  return bed.homes[index - 1]!;
}

/**
 * A fresh proxy for one scenario: the previous scenario's visitors leave first
 * (their clients would reconnect to the new proxy and announce what they hold),
 * then the previous proxy stops. Its own registry and connectivity learning.
 */
async function restartProxy(env: Record<string, string>): Promise<PeerConnectProcess> {
  for (const v of visitors.splice(0)) await v.context.close().catch(() => undefined);
  await proxy?.stop();
  proxy = await startPeerConnect(bed, PROXY_PORT, { ORIGIN: origin.url, SEEDER_MODE: 'off', P2P_PEER_TIMEOUT_MS: String(PEER_TIMEOUT_MS), ...env });
  return proxy;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = RECORDS_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What the proxy learnt about the network of `home`'s router (each router has a /24 of its own). */
async function connectivity(of: Home): Promise<NetworkConnectivity | undefined> {
  const signaling = (await proxy!.stats()).sources.signaling as { connectivity?: ConnectivityStats } | undefined;
  return signaling?.connectivity?.top.find((n) => n.network === networkKey(of.wanAddress));
}

/** A visitor with its connections watched, on the proxy's front page. */
async function arrive(browser: Browser, agent: string): Promise<Visitor> {
  const v = await visit(browser, proxy!.url, agent, watchRtc);
  visitors.push(v);
  await scrollThrough(v.page);
  await waitForImagesPainted(v.page, SETTLE_TIMEOUT_MS);
  return v;
}

async function taggedIds(v: Visitor): Promise<{ modes: string[]; distinct: number }> {
  const tagged = (await imageStates(v.page)).filter((img) => img.id !== null);
  return { modes: tagged.map((img) => img.mode ?? ''), distinct: new Set(tagged.map((img) => img.id)).size };
}

/** First visitor of a scenario: loads over HTTP and holds (announces) every image. */
async function holder(browser: Browser, agent: string): Promise<{ v: Visitor; s: DebugSurface; digests: Record<string, string> }> {
  const v = await arrive(browser, agent);
  const { modes, distinct } = await taggedIds(v);
  assert.ok(distinct >= 20, `${agent}: the gallery is tagged (${distinct})`);
  assert.deepEqual(modes.filter((m) => m !== 'http'), [], `${agent}: first visitor loads over HTTP`);
  await waitForHeld(v.page, distinct, SETTLE_TIMEOUT_MS);
  return { v, s: await surface(v.page), digests: await pixelDigests(v.page) };
}

/** Waits until the page has a record (peer or fallback) for every tagged image. */
async function records(v: Visitor): Promise<DebugSurface> {
  const { distinct } = await taggedIds(v);
  await v.page.waitForFunction((n) => Object.keys(window.__peerconnect?.assets ?? {}).length >= n, distinct, { timeout: RECORDS_TIMEOUT_MS, polling: 100 });
  return surface(v.page);
}

/** P2P-eligible images (GIFs always load over HTTP) the origin served to `agent`. */
async function originImageRequests(agent: string): Promise<string[]> {
  return (await origin.accessLog()).filter((e) => e.userAgent?.includes(agent) && e.path.startsWith('/images/') && e.path.endsWith('.png')).map((e) => e.path);
}

/** The address the proxy saw for `agent`'s page request (the X-Forwarded-For it sent the origin). */
async function seenAs(agent: string): Promise<string | null> {
  return (await origin.accessLog()).find((e) => e.userAgent?.includes(agent) && e.path === '/')?.forwardedFor ?? null;
}

/** Peer links: connections that heard from a remote side (the client's NAT probe never does). */
function tried(connections: WatchedConnection[]): WatchedConnection[] {
  return connections.filter((c) => c.received.length > 0);
}

/** Connections that opened, with their selected pair. */
function opened(connections: WatchedConnection[]): WatchedConnection[] {
  return connections.filter((c) => c.connectedAt !== null);
}

function describeConnections(t: TestContext, who: string, connections: WatchedConnection[]): void {
  for (const c of connections) {
    const states = c.states.map((s) => `${s.kind}:${s.state}@${s.at - c.createdAt}`).join(' ');
    const pair = c.selected ? `${c.selected.local}/${c.selected.remote} (${c.selected.localAddress} → ${c.selected.remoteAddress}, rtt ${c.selected.rtt})` : 'none';
    const end = `${c.failedAt === null ? '' : `; failed@${c.failedAt - c.createdAt}`}${c.closedAt === null ? '' : `; closed@${c.closedAt - c.createdAt}`}`;
    t.diagnostic(`${who}: created@${c.createdAt} ${c.policy} ${c.iceServers.join(',')}; gathered ${c.gathered.join(',')}; received ${c.received.join(',')}; ${states}; connect ${c.connectedAt === null ? '—' : `${c.connectedAt - c.createdAt} ms`}; pair ${pair}${end}`);
  }
}

function describeRecords(t: TestContext, who: string, s: DebugSurface): void {
  const line = Object.values(s.assets).map((r) => `${new URL(r.url).pathname.replace('/images/', '')}:${r.source}${r.fallback ? `/${r.fallback}` : ''}@${Math.round(r.ms ?? -1)}`).join(' ');
  t.diagnostic(`${who}: fallbacks ${JSON.stringify(s.fallbacks)}; ${line}`);
}

/** Asserts `v` got every eligible image from `from` over WebRTC, pixel-identical, with no image request at the origin. */
async function assertAllFromPeer(v: Visitor, from: DebugSurface, reference: Record<string, string>): Promise<DebugSurface> {
  const { modes } = await taggedIds(v);
  assert.deepEqual(modes.filter((m) => m !== 'peer'), [], `${v.agent}: every tagged image waits for peers`);
  const s = await records(v);
  assert.deepEqual(Object.values(s.assets).filter((r) => r.source !== 'peer' || r.fallback !== undefined || r.peer !== from.peerId), [], `${v.agent}: every image from ${from.peerId}`);
  assert.deepEqual(s.fallbacks, {});
  assert.equal(s.bytes.server, 0);
  const digests = await pixelDigests(v.page);
  assert.ok(Object.keys(digests).length >= 20);
  for (const [path, digest] of Object.entries(digests)) if (reference[path]) assert.equal(digest, reference[path], `${v.agent}: ${path} pixels`);
  assert.deepEqual(await originImageRequests(v.agent), [], `${v.agent}: no image request reached the origin`);
  return s;
}

describe('emulated internet: visitors in NAT homes, the proxy CLI, demo origin and coturn on the public segment', () => {
  test('endpoint-independent NATs, STUN from coturn: home 2 gets every image from home 1 over srflx candidates', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    await restartProxy({ P2P_THRESHOLD: '1', P2P_ICE_SERVERS: coturn.stunUrl });
    const a = await holder(browsers.get(1)!, 'ei-stun-a');
    const b = await arrive(browsers.get(2)!, 'ei-stun-b');
    await assertAllFromPeer(b, a.s, a.digests);
    assert.equal(await seenAs('ei-stun-b'), home(2).wanAddress, 'the proxy sees home 2 as its router');
    assert.equal(await seenAs('ei-stun-a'), home(1).wanAddress);
    const connections = (await rtcWatch(b.page)).connections;
    describeConnections(t, 'home 2', connections);
    const links = opened(connections);
    assert.equal(links.length, 1, 'one link carries every image');
    assert.deepEqual([links[0]!.selected?.local, links[0]!.selected?.remote], ['srflx', 'srflx']);
    assert.deepEqual(links[0]!.iceServers, [coturn.stunUrl]);
  });

  test('one LAN, mDNS off: two visitors behind the same router connect over host candidates, no hairpin through the NAT', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    await restartProxy({ P2P_THRESHOLD: '1', P2P_ICE_SERVERS: coturn.stunUrl });
    const lan: Browser[] = [];
    try {
      for (const host of home(1).hosts) lan.push(await launchBrowserIn(host.ns, { mdnsHostCandidates: false }));
      const a = await holder(lan[0]!, 'lan-a');
      const b = await arrive(lan[1]!, 'lan-b');
      await assertAllFromPeer(b, a.s, a.digests);
      assert.equal(await seenAs('lan-a'), home(1).wanAddress);
      assert.equal(await seenAs('lan-b'), home(1).wanAddress, 'the proxy sees both behind one address');
      const connections = (await rtcWatch(b.page)).connections;
      describeConnections(t, 'home 1 host 2', connections);
      const links = opened(connections);
      assert.equal(links.length, 1);
      const pair = links[0]!.selected;
      // The remote end is the holder's host candidate, or the same address learned as peer-reflexive
      // when the holder's connectivity check arrives before its trickled candidate (an ICE race, same path).
      assert.equal(pair?.local, 'host');
      assert.ok(pair?.remote === 'host' || pair?.remote === 'prflx', `remote candidate type ${pair?.remote}`);
      // LAN addresses on both ends: the packets stay on the home's bridge.
      assert.deepEqual([pair?.localAddress, pair?.remoteAddress], [home(1).hosts[1]!.address, home(1).hosts[0]!.address]);
    } finally {
      for (const v of visitors.splice(0)) await v.context.close().catch(() => undefined);
      for (const browser of lan) await browser.close().catch(() => undefined);
    }
  });

  test('built-in STUN responder (no ICE servers configured): home 2 gets every image from home 1 over srflx candidates', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    // coturn holds 198.18.0.1:3478 in this bed, so the responder gets the next port.
    await restartProxy({ P2P_THRESHOLD: '1', STUN_PORT: String(BUILTIN_STUN_PORT) });
    const a = await holder(browsers.get(1)!, 'builtin-stun-a');
    const b = await arrive(browsers.get(2)!, 'builtin-stun-b');
    await assertAllFromPeer(b, a.s, a.digests);
    const connections = (await rtcWatch(b.page)).connections;
    describeConnections(t, 'home 2', connections);
    const links = opened(connections);
    assert.equal(links.length, 1);
    assert.deepEqual(links[0]!.iceServers, [`stun:${bed.pubAddress}:${BUILTIN_STUN_PORT}`], 'the proxy advertised its own STUN responder');
    assert.deepEqual([links[0]!.selected?.local, links[0]!.selected?.remote], ['srflx', 'srflx']);
  });

  test('symmetric NATs, STUN only: every image falls back to HTTP with ice-failed right after the ICE failure, and the page renders whole', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    await restartProxy({ P2P_THRESHOLD: '1', P2P_ICE_SERVERS: coturn.stunUrl });
    await holder(browsers.get(3)!, 'sym-a');
    const b = await arrive(browsers.get(4)!, 'sym-b');
    const { modes } = await taggedIds(b);
    assert.deepEqual(modes.filter((m) => m !== 'peer'), [], 'the page asked for peers');
    const s = await records(b);
    const watch = await rtcWatch(b.page);
    describeConnections(t, 'home 4', watch.connections);
    describeRecords(t, 'home 4', s);
    // The page renders whole: every image painted (waited for in arrive()), all from the origin.
    const assets = Object.values(s.assets);
    assert.deepEqual(assets.filter((r) => r.source !== 'server' || (r.fallback !== 'ice-failed' && r.fallback !== 'no-holder')).map((r) => `${r.url} ${r.source} ${r.fallback}`), [], 'every image: HTTP after the failed link');
    const links = tried(watch.connections);
    assert.equal(opened(links).length, 0, 'no connection formed');
    assert.equal(links.length, 1, 'one link to the holder was tried');
    // Images waiting on that link report ice-failed; those asked for after it failed
    // get no holder (signaling no longer pairs two symmetric NATs without TURN).
    assert.ok((s.fallbacks['ice-failed'] ?? 0) >= 1, 'the link failure is the reason');
    // When the client gave up on ICE (its own deadline closes the connection; Chromium
    // alone reports `failed` only after ~15 s) and when the images went back to HTTP.
    const link = links[0]!;
    const failure = Math.min(link.closedAt ?? Infinity, link.failedAt ?? Infinity);
    assert.ok(Number.isFinite(failure), 'the connection ended');
    assert.equal(new Set(watch.released.map((r) => r.url)).size, assets.length, 'every image was handed back to its URL');
    // Images waiting on the link go back to HTTP when it fails; the others (the only
    // holder's upload slots were taken) ran out of `want` rounds on their own clock.
    const reasonOf = new Map(assets.map((r) => [r.url, r.fallback]));
    const after = (reason: string): number[] => watch.released.filter((r) => reasonOf.get(new URL(r.url, proxy!.url).href) === reason).map((r) => r.at - failure);
    const onLink = after('ice-failed');
    const noHolder = after('no-holder');
    const span = (xs: number[]): string => (xs.length === 0 ? '—' : `${Math.min(...xs)}…${Math.max(...xs)} ms`);
    t.diagnostic(`link created @${link.createdAt} ms after navigation, given up @${failure} ms (client ICE deadline ${failure - link.createdAt} ms); ice-failed images back to HTTP ${span(onLink)} after the failure (bound ${FALLBACK_AFTER_ICE_FAILURE_MS} ms, n=${onLink.length}); no-holder images ${span(noHolder)} relative to it (n=${noHolder.length})`);
    // (A <picture> goes back through its <source> srcset, which the watcher does not see.)
    assert.ok(onLink.length >= 1, 'images released by the link failure seen');
    assert.ok(Math.min(...onLink) >= 0, 'no ice-failed image left before the failure');
    assert.ok(Math.max(...onLink) <= FALLBACK_AFTER_ICE_FAILURE_MS, `every ice-failed image back to HTTP within ${FALLBACK_AFTER_ICE_FAILURE_MS} ms of the failure`);
  });

  test('symmetric NATs, TURN with credentials the proxy mints: images arrive over relay candidates', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    await restartProxy({ P2P_THRESHOLD: '1', P2P_ICE_SERVERS: coturn.stunUrl, TURN_URLS: coturn.turnUrl, TURN_SECRET: coturn.secret });
    const a = await holder(browsers.get(3)!, 'sym-turn-a');
    const b = await arrive(browsers.get(4)!, 'sym-turn-b');
    await assertAllFromPeer(b, a.s, a.digests);
    const connections = (await rtcWatch(b.page)).connections;
    describeConnections(t, 'home 4', connections);
    const links = opened(connections);
    assert.equal(links.length, 1);
    assert.ok(links[0]!.iceServers.includes(coturn.turnUrl), 'the welcome carried the TURN server');
    const pair = [links[0]!.selected?.local, links[0]!.selected?.remote];
    assert.ok(pair.includes('relay'), `selected pair through the relay: ${pair.join('/')}`);
    // coturn authenticated an ephemeral `<expiry>:<id>` user the proxy minted.
    assert.match(coturn.log(), /user <\d{10}:[^>]+>/);
  });

  test('signaling restart mid-session: the holder reconnects within the backoff bound and re-announces, and a new visitor is served by it', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    const env = { P2P_THRESHOLD: '1', P2P_ICE_SERVERS: coturn.stunUrl };
    await restartProxy(env);
    const a = await holder(browsers.get(1)!, 'restart-a');
    const held = a.s.held.length;
    const killedAt = Date.now();
    await proxy!.kill();
    proxy = await startPeerConnect(bed, PROXY_PORT, proxy!.env);
    const upAt = Date.now();
    await a.v.page.waitForFunction((old) => window.__peerconnect?.peerId !== undefined && window.__peerconnect.peerId !== old, a.s.peerId, { timeout: RECONNECT_CAP_MS + RECORDS_TIMEOUT_MS, polling: 50 });
    const reconnectedAt = Date.now();
    const announced = await until('re-announced holdings', async () => {
      const signaling = (await proxy!.stats()).sources.signaling as { holdings?: number } | undefined;
      return (signaling?.holdings ?? 0) >= held ? signaling : undefined;
    });
    t.diagnostic(`outage ${upAt - killedAt} ms (kill to listening); reconnected ${reconnectedAt - upAt} ms after the new proxy listened (bound ${RECONNECT_CAP_MS} ms); holdings ${announced?.holdings} of ${held} re-announced`);
    assert.ok(reconnectedAt - upAt <= RECONNECT_CAP_MS, 'reconnect within the backoff cap');
    const again = await surface(a.v.page);
    assert.notEqual(again.peerId, a.s.peerId, 'a new signaling session');
    const b = await arrive(browsers.get(2)!, 'restart-b');
    await assertAllFromPeer(b, again, a.digests);
  });

  test(`connectivity-aware policy: after ${HTTP_MIN_ATTEMPTS} failed attempts from a network (symmetric × symmetric, no TURN), its next page comes in http mode`, { timeout: SCENARIO_TIMEOUT_MS * 2 }, async (t) => {
    // Enough holders that each failing visitor makes MAX_LINK_REPORTS_PER_SESSION attempts.
    const holders = MAX_LINK_REPORTS_PER_SESSION;
    await restartProxy({ P2P_THRESHOLD: String(holders), P2P_ICE_SERVERS: coturn.stunUrl });
    for (let i = 1; i <= holders; i++) await holder(browsers.get(3)!, `policy-holder-${i}`);
    let failing = 0;
    for (;;) {
      const network = await connectivity(home(4));
      t.diagnostic(`after ${failing} failing visitors: ${JSON.stringify(network)}`);
      if (network && network.attempts >= HTTP_MIN_ATTEMPTS) break;
      assert.ok(failing < 2 * Math.ceil(HTTP_MIN_ATTEMPTS / MAX_LINK_REPORTS_PER_SESSION), 'attempts are being learnt');
      const v = await arrive(browsers.get(4)!, `policy-visitor-${++failing}`);
      const { modes } = await taggedIds(v);
      assert.deepEqual(modes.filter((m) => m !== 'peer'), [], `visitor ${failing} still asked for peers`);
      const s = await records(v);
      assert.ok((s.fallbacks['ice-failed'] ?? 0) > 0, `visitor ${failing}: links failed (${JSON.stringify(s.fallbacks)})`);
      await until('link reports', async () => ((await connectivity(home(4)))?.attempts ?? 0) > 0 ? true : undefined);
    }
    const network = await connectivity(home(4));
    assert.equal(network?.mode, 'http');
    const next = await arrive(browsers.get(4)!, 'policy-next');
    const { modes } = await taggedIds(next);
    assert.deepEqual(modes.filter((m) => m !== 'http'), [], 'the next page of that network is rewritten in http mode');
    const s = await records(next);
    assert.deepEqual(s.fallbacks, {}, 'nothing waited for a peer');
    assert.equal(opened((await rtcWatch(next.page)).connections).length, 0);
  });

  test('P2P_PRIVACY=strict with TURN: a peer receives only relay candidates, and images still come from peers', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    await restartProxy({ P2P_THRESHOLD: '1', P2P_PRIVACY: 'strict', TURN_URLS: coturn.turnUrl, TURN_SECRET: coturn.secret });
    const a = await holder(browsers.get(1)!, 'strict-a');
    const b = await arrive(browsers.get(2)!, 'strict-b');
    await records(b);
    const asker = (await rtcWatch(b.page)).connections;
    const answerer = (await rtcWatch(a.v.page)).connections;
    describeConnections(t, 'home 2 (asks)', asker);
    describeConnections(t, 'home 1 (serves)', answerer);
    describeRecords(t, 'home 2', await surface(b.page));
    await assertAllFromPeer(b, a.s, a.digests);
    for (const [who, connections] of [['home 2', asker], ['home 1', answerer]] as const) {
      assert.ok(connections.length >= 1, `${who} made a connection`);
      for (const c of connections) {
        assert.equal(c.policy, 'relay', `${who}: iceTransportPolicy relay`);
        assert.ok(c.received.length > 0, `${who} received candidates`);
        assert.deepEqual(c.received.filter((type) => type !== 'relay'), [], `${who} received only relay candidates`);
        assert.deepEqual(c.gathered.filter((type) => type !== 'relay'), [], `${who} gathered only relay candidates`);
      }
    }
    const pair = opened(asker)[0]?.selected;
    assert.deepEqual([pair?.local, pair?.remote], ['relay', 'relay']);
  });
});
