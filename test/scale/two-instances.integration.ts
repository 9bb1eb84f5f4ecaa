import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import { debugSwitchScript, launchBrowser } from '../helpers/browser.js';
import { startNginx, demoSiteRoot, type RunningNginx } from '../helpers/nginx.js';
import { imageStates, pixelDigests, scrollThrough, surface, waitForHeld, waitForImagesPainted } from '../helpers/p2p-page.js';
import { startProxy } from '../helpers/proxy.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { ProxyProcess } from './proxy-process.js';

/**
 * Two PeerConnect instances sharing Redis behind a real nginx load balancer.
 * Instance A runs in this process (its registry can be read), B in its own
 * process (so it can be SIGKILLed). The balancer routes by a marker in the
 * visitor's user agent so a test knows where each visitor lands: `to-a`,
 * `to-b`, `sig-b` (signaling socket to B whatever the page), none = round robin.
 */
const THRESHOLD = 2;
const PEER_TIMEOUT_MS = '8000';
const TTL_MS = 3_000;
const SETTLE_MS = 20_000;

let root: string;
let origin: RunningNginx;
let balancer: RunningNginx;
let redis: RunningRedis;
let a: RunningApp;
let b: ProxyProcess;
let browser: Browser;
const pages: Page[] = [];
const reference: Record<string, string> = {};
const holderIds: string[] = [];
/** Peer ids whose signaling socket was on instance B. */
const onB = new Set<string>();

function balancerBlock(aUrl: URL, bUrl: URL): string {
  return `
  upstream inst_a { server 127.0.0.1:${aUrl.port}; }
  upstream inst_b { server 127.0.0.1:${bUrl.port}; }
  upstream inst_both { server 127.0.0.1:${aUrl.port}; server 127.0.0.1:${bUrl.port}; }
  map $http_user_agent $page_pool { ~to-a inst_a; ~to-b inst_b; default inst_both; }
  map $http_user_agent $signal_pool { ~sig-b inst_b; ~to-a inst_a; ~to-b inst_b; default inst_both; }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:{{port}};
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_read_timeout 3600s;
    location /__p2p/signal { proxy_pass http://$signal_pool; }
    location / { proxy_pass http://$page_pool; }
  }`;
}

const common = (originUrl: string, redisUrl: string): Record<string, string> => ({
  ORIGIN: originUrl, REDIS_URL: redisUrl, P2P_THRESHOLD: String(THRESHOLD), P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS,
  // Hedging and the LCP image over HTTP off, as startProxy does for in-process instances: these tests check where bytes come from.
  STUN_PORT: 'off', SEEDER_MODE: 'off', TRUST_PROXY: '127.0.0.1', P2P_HEDGE_MS: '0', P2P_LCP_HTTP: 'false', REDIS_PEER_TTL_MS: String(TTL_MS), SIGNAL_MAX_PEERS_PER_IP: '64',
});

before(async () => {
  root = await demoSiteRoot('pc-scale-site-');
  origin = await startNginx({ root });
  redis = await startRedis();
  const env = common(origin.url.href.replace(/\/$/, ''), redis.url);
  a = await startProxy(env);
  b = await ProxyProcess.start(env);
  balancer = await startNginx({ root, serverBlock: balancerBlock(a.url, b.url) });
  browser = await launchBrowser();
});

after(async () => {
  for (const page of pages) await page.context().close().catch(() => undefined);
  await browser?.close();
  await balancer?.stop();
  await b?.stop();
  await a?.close();
  await redis?.dispose();
  await origin?.stop();
  await rm(root, { recursive: true, force: true });
});

/** A visitor whose user agent carries its routing marker, with the client's debugging surface on (peer ids, holdings). */
async function newContext(agent: string): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: `Mozilla/5.0 PeerConnectTest ${agent}`, viewport: { width: 1200, height: 900 } });
  await context.addInitScript(debugSwitchScript);
  return context;
}

/** Peers of other instances (B) in A's mirror. */
const bPeers = (): number => [...(a.cluster?.registry.remoteInstances().values() ?? [])].reduce((sum, n) => sum + n, 0);

async function visit(agent: string): Promise<Page> {
  const context = await newContext(agent);
  const page = await context.newPage();
  pages.push(page);
  await page.goto(new URL('/index.html', balancer.url).href, { waitUntil: 'load', timeout: SETTLE_MS });
  await scrollThrough(page);
  await waitForImagesPainted(page);
  return page;
}

async function originImageRequests(agent: string): Promise<string[]> {
  const log = await readFile(origin.accessLogPath, 'utf8');
  // Combined log format: the user agent is the last quoted field.
  return log.split('\n').filter((line) => / "GET \/images\/[^ ]+\.png /.test(line) && line.endsWith(`${agent}"`));
}

/** Every tagged image waited for peers and came from the earlier visitors' browsers, pixel-identical, none over HTTP. */
async function assertAllFromPeers(page: Page, agent: string): Promise<void> {
  const tagged = (await imageStates(page)).filter((img) => img.id !== null);
  assert.ok(tagged.length >= 20, `${agent}: the gallery is tagged`);
  assert.deepEqual(tagged.filter((img) => img.mode !== 'peer'), [], `${agent}: every tagged image waits for peers`);
  const distinct = new Set(tagged.map((img) => img.id)).size;
  await page.waitForFunction((n) => Object.keys(window.__peerconnect?.assets ?? {}).length >= n, distinct, { timeout: SETTLE_MS, polling: 100 });
  const s = await surface(page);
  const records = Object.values(s.assets);
  assert.deepEqual(records.filter((r) => r.source !== 'peer' || r.fallback), [], `${agent}: every image from a browser peer`);
  for (const r of records) assert.ok(r.peer !== undefined && holderIds.includes(r.peer), `${agent}: ${r.url} from an earlier visitor`);
  assert.equal(s.bytes.server, 0);
  for (const [path, digest] of Object.entries(await pixelDigests(page))) {
    if (reference[path]) assert.equal(digest, reference[path], `${agent}: ${path} pixels`);
  }
  const pngFetches = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => new URL(n).pathname.endsWith('.png')));
  assert.deepEqual(pngFetches, [], `${agent}: no PNG over HTTP`);
  assert.deepEqual(await originImageRequests(agent), [], `${agent}: the origin served it no image`);
  holderIds.push(s.peerId as string);
}

test('redis + nginx, threshold 2: visitors 1–2 on instance B load over HTTP; visitor 3 on instance A gets every image from them', async () => {
  for (const agent of ['v1-to-b', 'v2-to-b']) {
    const page = await visit(agent);
    const tagged = (await imageStates(page)).filter((img) => img.id !== null);
    assert.deepEqual(tagged.filter((img) => img.mode !== 'http'), [], `${agent}: over HTTP below the threshold`);
    await waitForHeld(page, new Set(tagged.map((img) => img.id)).size);
    holderIds.push((await surface(page)).peerId as string);
    onB.add((await surface(page)).peerId as string);
    Object.assign(reference, await pixelDigests(page));
  }
  assert.ok((await originImageRequests('v1-to-b')).length >= 1, 'the origin log names visitors (the check below can fail)');
  // A's view, fed through Redis: both holders of B counted for the threshold.
  const someAsset = Object.keys((await surface(pages[0] as Page)).assets)[0] as string;
  await waitFor(() => a.signaling.registry.holderCount(someAsset) >= THRESHOLD, 'A counts B\'s holders', SETTLE_MS);
  await assertAllFromPeers(await visit('v3-to-a'), 'v3-to-a');
});

test('redis + nginx: page on A, signaling socket on B (the balancer splits them): still every image from peers', async () => {
  await assertAllFromPeers(await visit('v4-to-a-sig-b'), 'v4-to-a-sig-b');
  onB.add(holderIds[holderIds.length - 1] as string);
});

test('redis + nginx: Redis killed and restarted mid-run — no HTTP request fails, P2P across instances resumes', async () => {
  let failed = 0;
  let requests = 0;
  await redis.kill();
  await waitFor(() => a.cluster?.redisState === 'down', 'A noticed', SETTLE_MS);
  // Round robin: pages and their media land on both instances while Redis is gone.
  for (const agent of ['v5-rr', 'v6-rr']) {
    const context = await newContext(agent);
    const page = await context.newPage();
    pages.push(page);
    page.on('requestfailed', () => failed++);
    page.on('response', (response) => {
      requests++;
      if (response.status() >= 400) failed++;
    });
    await page.goto(new URL('/index.html', balancer.url).href, { waitUntil: 'load', timeout: SETTLE_MS });
    await scrollThrough(page);
    await waitForImagesPainted(page);
    // They hold images now too, and later visitors may be paired with them.
    const deadline = Date.now() + SETTLE_MS;
    let peerId: string | undefined;
    while ((peerId = (await surface(page)).peerId) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(peerId, `${agent}: joined signaling`);
    holderIds.push(peerId);
  }
  assert.ok(requests > 0);
  assert.equal(failed, 0, 'no failed HTTP request while Redis was down');
  await redis.restart();
  await waitFor(() => a.cluster?.redisState === 'up', 'A reconnected', SETTLE_MS);
  const someAsset = Object.keys((await surface(pages[0] as Page)).assets)[0] as string;
  await waitFor(() => a.signaling.registry.holderCount(someAsset) >= THRESHOLD, 'A counts holders again', SETTLE_MS);
  // B reconnects on its own backoff: sharing has resumed once A sees B's visitors again.
  await waitFor(() => bPeers() >= 2, 'A sees B\'s visitors again', SETTLE_MS);
  await assertAllFromPeers(await visit('v7-to-a'), 'v7-to-a');
});

test('redis + nginx: SIGKILL instance B — its peers leave A\'s view within the TTL, and a new visitor on A is paired with A\'s peers only', async () => {
  assert.ok(bPeers() >= 2, 'A sees B\'s visitors');
  await b.kill();
  // TTL, plus one heartbeat (TTL/3) to notice, plus slack for a loaded machine.
  await waitFor(() => bPeers() === 0, 'B\'s peers gone from A', TTL_MS + TTL_MS / 3 + 2_000);
  // A new visitor is paired only with peers still reachable (A's own), and gets everything from them.
  // Visitors whose socket was on B and that reconnected through the balancer have new ids: count them as earlier visitors.
  for (const page of pages) {
    const id = (await surface(page).catch(() => undefined))?.peerId;
    if (id !== undefined && !holderIds.includes(id)) holderIds.push(id);
  }
  await assertAllFromPeers(await visit('v8-to-a'), 'v8-to-a');
  const v8 = await surface(pages[pages.length - 1] as Page);
  assert.deepEqual(Object.values(v8.assets).filter((r) => r.peer !== undefined && onB.has(r.peer)), [], 'v8: nothing from the peers of the dead instance');
});
