import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import type { RunningApp } from '../../proxy/app.js';
import { ATTR } from '../../protocol/client-config.js';
import { parseAssetTag } from '../../protocol/media.js';
import type { ConnectivityStats, StatsResponse } from '../../protocol/stats.js';
import { HTTP_MIN_ATTEMPTS, MAX_LINK_REPORTS_PER_SESSION } from '../../proxy/signaling/connectivity.js';
import { startProxy } from '../helpers/proxy.js';
import { SignalTestClient } from './signal-test-client.js';

/**
 * Visitors' addresses come from X-Forwarded-For, believed from the loopback test
 * client (TRUST_PROXY), so each test network is its own /24. Documentation ranges
 * only (RFC 5737): they are neither private (one shared `local` key) nor anyone's.
 */
const FAILING = '203.0.113';
const HOLDER_SYMMETRIC = '198.51.100.10';
const HOLDER_CONE = '192.0.2.10';
const ASSET = 'asset-net';

/** Resolves once `check` returns true, polling; rejects after `timeoutMs`. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, stepMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

describe('connectivity-aware signaling over a real proxy', () => {
  let app: RunningApp;
  const clients: SignalTestClient[] = [];
  const connect = async (address: string, nat?: string) => {
    const client = await SignalTestClient.connect(app.url, { forwardedFor: address });
    clients.push(client);
    if (nat) client.send({ type: 'nat', nat });
    return client;
  };
  const failedLinks = () => app.signaling.stats().linkReports.failed;

  /** One page view from `address`, through the real proxy and injector: the mode of every tagged image. */
  const visit = async (address: string) => {
    const res = await fetch(new URL('/', app.url), { headers: { 'x-forwarded-for': address } });
    const $ = cheerio.load(await res.text());
    return $(`[${ATTR.tag}*=".image."]`).toArray().map((el) => ({
      mode: parseAssetTag($(el).attr(ATTR.tag) as string).mode,
      src: $(el).attr('src') ?? $(el).attr('srcset'),
      peerSrc: $(el).attr(ATTR.src) ?? $(el).attr(ATTR.srcset),
    }));
  };

  let symmetricHolder: SignalTestClient;
  let coneHolder: SignalTestClient;

  before(async () => {
    // Threshold 0: every asset is `peer` unless the visitor's network is marked.
    app = await startProxy({ TRUST_PROXY: '127.0.0.1', P2P_THRESHOLD: '0', P2P_GEO_LOCATE: 'false', SIGNAL_MAX_PEERS_PER_IP: '64' });
    symmetricHolder = await connect(HOLDER_SYMMETRIC, 'symmetric');
    coneHolder = await connect(HOLDER_CONE, 'cone');
    symmetricHolder.send({ type: 'have', assets: [ASSET] });
    coneHolder.send({ type: 'have', assets: [ASSET] });
    await eventually(() => app.signaling.registry.holderCount(ASSET) === 2);
  });
  after(async () => {
    for (const client of clients) client.close();
    await app.close();
  });

  test('pairing follows reported NATs: a symmetric asker never gets a symmetric holder (no TURN); cone holders come first', async () => {
    const symmetric = await connect('198.51.100.20', 'symmetric');
    assert.deepEqual(await symmetric.holders(ASSET), [coneHolder.id]);
    const cone = await connect('192.0.2.20', 'cone');
    assert.deepEqual(new Set(await cone.holders(ASSET)), new Set([coneHolder.id, symmetricHolder.id]), 'a cone NAT reaches both');
    const unknown = await connect('192.0.2.21');
    assert.deepEqual(await unknown.holders(ASSET), [coneHolder.id, symmetricHolder.id], 'not reported: the holder known to be reachable first');
    assert.deepEqual(app.signaling.stats().natReports, { symmetric: 2, cone: 2 });
  });

  test('link reports count only about peers the server paired; others are dropped as stale, without a strike', async () => {
    const asker = await connect('192.0.2.30', 'cone');
    const staleBefore = app.signaling.stats().linkReports.stale;
    asker.send({ type: 'link', peer: symmetricHolder.id, ok: false, gathered: ['host', 'srflx'], ms: 240 });
    await eventually(() => app.signaling.stats().linkReports.stale === staleBefore + 1);
    assert.equal(app.signaling.stats().rejectedMessages['not-paired'] ?? 0, 0, 'no refusal');

    const given = await asker.holders(ASSET);
    const before = app.signaling.stats().linkReports.ok;
    asker.send({ type: 'link', peer: given[0], ok: true, local: 'srflx', remote: 'host', gathered: ['host', 'srflx'], ms: 240 });
    await eventually(() => app.signaling.stats().linkReports.ok === before + 1);
    assert.equal(asker.received.filter((m) => m.type === 'error').length, 0, 'no error for a paired peer');
    // The holder side may report the same link once the asker offered to it.
    asker.send({ type: 'offer', to: coneHolder.id, session: 's1', sdp: 'v=0' });
    await coneHolder.next('offer');
    coneHolder.send({ type: 'link', peer: asker.id, ok: true, local: 'host', remote: 'srflx', gathered: ['host'], ms: 200 });
    await eventually(() => app.signaling.stats().linkReports.ok === before + 2);
  });

  test(`after ${HTTP_MIN_ATTEMPTS} failed attempts from one network its next page is all HTTP; other networks keep peers`, async () => {
    const page = `${FAILING}.99`;
    for (const image of await visit(page)) assert.equal(image.mode, 'peer', 'before any report the page uses peers');

    // One visitor reporting many failures is not enough: only its first few count.
    let reported = failedLinks();
    let session = 0;
    const failFrom = async (times: number) => {
      const visitor = await connect(`${FAILING}.${20 + session++}`);
      const [peer] = await visitor.holders(ASSET);
      for (let i = 0; i < times; i++) visitor.send({ type: 'link', peer, ok: false, gathered: ['host', 'srflx'], ms: 5_000 });
      reported += times;
      await eventually(() => failedLinks() === reported);
      // Leaving frees the upload slot it took on the holder, so the next visitor gets one too.
      visitor.send({ type: 'bye' });
      await visitor.waitClosed();
    };
    await failFrom(HTTP_MIN_ATTEMPTS);
    for (const image of await visit(page)) assert.equal(image.mode, 'peer', `one session counts ${MAX_LINK_REPORTS_PER_SESSION} attempts at most`);

    const sessions = Math.ceil(HTTP_MIN_ATTEMPTS / MAX_LINK_REPORTS_PER_SESSION);
    for (let i = 1; i < sessions; i++) await failFrom(MAX_LINK_REPORTS_PER_SESSION);
    const images = await visit(page);
    assert.ok(images.length > 0, 'the demo page has tagged images');
    for (const image of images) {
      assert.equal(image.mode, 'http', 'the failing network gets every image over HTTP');
      assert.ok(image.src, 'and keeps its src');
      assert.equal(image.peerSrc, undefined, 'nothing waits for a peer');
    }
    for (const image of await visit('192.0.2.77')) assert.equal(image.mode, 'peer', 'another network is not affected');

    // Visible in /stats (a bounded top list) and /metrics (no per-network labels).
    const stats = await (await fetch(new URL('/__p2p/stats', app.url))).json() as StatsResponse;
    const connectivity = (stats.sources.signaling as { connectivity: ConnectivityStats }).connectivity;
    assert.equal(connectivity.httpNetworks, 1);
    const failing = connectivity.top.find((n) => n.network === `${FAILING}.0/24`);
    assert.deepEqual(failing && { attempts: Math.round(failing.attempts), successes: failing.successes, mode: failing.mode }, { attempts: HTTP_MIN_ATTEMPTS, successes: 0, mode: 'http' });
    await eventually(async () => {
      const text = await (await fetch(new URL('/__p2p/metrics', app.url))).text();
      return /^peerconnect_networks_http 1$/m.test(text)
        && /^peerconnect_link_attempts_total\{result="failed",pair="none"\} \d+$/m.test(text)
        && /^peerconnect_link_attempts_total\{result="ok",pair="srflx"\} 2$/m.test(text)
        && /^peerconnect_network_http_pages_total [1-9]/m.test(text)
        && !text.includes(FAILING);
    });
  });
});

describe('connectivity-aware signaling with TURN configured', () => {
  test('two symmetric NATs are paired when TURN_URLS and TURN_SECRET are set (relay-capable), after the holder known to be reachable', async () => {
    const app = await startProxy({
      TRUST_PROXY: '127.0.0.1', P2P_GEO_LOCATE: 'false', TURN_URLS: 'turn:turn.example.test:3478', TURN_SECRET: 'turn-test-secret',
    });
    const clients: SignalTestClient[] = [];
    try {
      const connect = async (address: string, nat: string) => {
        const client = await SignalTestClient.connect(app.url, { forwardedFor: address });
        clients.push(client);
        client.send({ type: 'nat', nat });
        return client;
      };
      const symmetric = await connect(HOLDER_SYMMETRIC, 'symmetric');
      const cone = await connect(HOLDER_CONE, 'cone');
      symmetric.send({ type: 'have', assets: [ASSET] });
      cone.send({ type: 'have', assets: [ASSET] });
      await eventually(() => app.signaling.registry.holderCount(ASSET) === 2);
      const asker = await connect(`${FAILING}.40`, 'symmetric');
      assert.deepEqual(await asker.holders(ASSET), [cone.id, symmetric.id]);
    } finally {
      for (const client of clients) client.close();
      await app.close();
    }
  });
});
