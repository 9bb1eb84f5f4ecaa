import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makePng } from '../../proxy/demo/png.js';
import { launchBrowser } from '../helpers/browser.js';
import { startNginx, demoSiteRoot } from '../helpers/nginx.js';
import { startProxy } from '../helpers/proxy.js';
import { parsePrometheusText, sampleValue } from '../ops/prom-text.js';
import { imageStates, pixelDigests, scrollThrough, surface, visit, waitForHeld, waitForImagesPainted, type Visitor } from '../helpers/p2p-page.js';

/** Report beacons are debounced by a second; give them this long to reach /stats. */
const REPORT_WAIT_MS = 10_000;
const THRESHOLD = 3;
/**
 * These tests check where bytes come from, not the deadline: a generous one keeps
 * a loaded CI machine from turning a slow transfer into a fallback.
 */
const PEER_TIMEOUT_MS = '8000';
const VISITORS = 6;

let browser: Browser;
let app: RunningApp;
const visitors: Visitor[] = [];

before(async () => {
  browser = await launchBrowser();
  app = await startProxy({ P2P_THRESHOLD: String(THRESHOLD), P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS });
});

after(async () => {
  for (const v of visitors) await v.context.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
});

async function stats(): Promise<{ bytes: Record<'peer' | 'seeder' | 'server' | 'webseed', number> }> {
  const res = await fetch(new URL('/__p2p/stats', app.url));
  assert.equal(res.status, 200);
  return (await res.json()) as { bytes: Record<'peer' | 'seeder' | 'server' | 'webseed', number> };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = REPORT_WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('threshold 3: visitors 1–3 load images over HTTP (2 and 3 from the edge cache), visitors 4–6 get every eligible image from browser peers, pixel-identical', async () => {
  const reference: Record<string, string> = {};
  const holderIds: string[] = [];
  /** X-Cache of every PNG response each visitor's browser received over HTTP. */
  const xCache = new Map<number, string[]>();
  for (let i = 1; i <= VISITORS; i++) {
    const seen: string[] = [];
    xCache.set(i, seen);
    const v = await visit(browser, new URL('/', app.url).href, `visitor-${i}`, async (context) => {
      context.on('response', (response) => {
        if (new URL(response.url()).pathname.endsWith('.png')) seen.push(response.headers()['x-cache'] ?? 'none');
      });
    });
    visitors.push(v);
    await scrollThrough(v.page);
    await waitForImagesPainted(v.page);
    const tagged = (await imageStates(v.page)).filter((img) => img.id !== null);
    assert.ok(tagged.length >= 20, `visitor ${i}: expected the gallery to be tagged, got ${tagged.length}`);
    const distinct = new Set(tagged.map((img) => img.id)).size;
    const digests = await pixelDigests(v.page);

    if (i <= THRESHOLD) {
      assert.deepEqual(tagged.filter((img) => img.mode !== 'http'), [], `visitor ${i}: all tagged images load over HTTP`);
      // It becomes a holder of every image it loaded (verified against the manifest).
      await waitForHeld(v.page, distinct);
      const s = await surface(v.page);
      assert.equal(s.state, 'running');
      assert.ok(s.peerId);
      holderIds.push(s.peerId);
      Object.assign(reference, digests);
      continue;
    }

    assert.deepEqual(tagged.filter((img) => img.mode !== 'peer'), [], `visitor ${i}: all tagged images wait for peers`);
    const s = await until(`visitor ${i} records`, async () => {
      const current = await surface(v.page);
      return Object.keys(current.assets).length >= distinct ? current : undefined;
    });
    const records = Object.values(s.assets);
    assert.deepEqual(records.filter((r) => r.source !== 'peer' || r.fallback), [], `visitor ${i}: every image came from a browser peer`);
    assert.deepEqual(s.fallbacks, {});
    assert.equal(s.bytes.server, 0);
    assert.ok(s.bytes.peer > 0);
    for (const r of records) assert.ok(r.peer !== undefined && holderIds.includes(r.peer), `visitor ${i}: ${r.url} served by an earlier visitor`);
    for (const img of tagged) assert.match(img.currentSrc, /^blob:/, `visitor ${i}: painted from a blob`);
    // Pixel-identical to what visitor 1 decoded from the origin's bytes.
    for (const [path, digest] of Object.entries(digests)) {
      if (reference[path]) assert.equal(digest, reference[path], `visitor ${i}: ${path} pixels`);
    }
    // Browser side: no resource timing entry for any PNG (nothing fetched over HTTP).
    const pngFetches = await v.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => new URL(n).pathname.endsWith('.png')));
    assert.deepEqual(pngFetches, [], `visitor ${i}: no PNG over HTTP`);
    holderIds.push(s.peerId as string);
  }

  // Origin side: only visitor 1's images reached the origin. Visitors 2–3 loaded theirs
  // over HTTP from the proxy's edge cache (X-Cache: HIT); visitors 4–6 over no HTTP at all.
  const log = app.demo?.accessLog ?? [];
  for (let i = 1; i <= VISITORS; i++) {
    const images = log.filter((e) => e.userAgent?.includes(`visitor-${i}`) && e.path.endsWith('.png'));
    const cacheStates = xCache.get(i) ?? [];
    if (i === 1) {
      assert.ok(images.length >= 20, 'visitor 1 fetched images from the origin');
      assert.ok(cacheStates.includes('MISS'), 'visitor 1 filled the edge cache');
    } else {
      assert.deepEqual(images.map((e) => e.path), [], `visitor ${i} fetched no image from the origin`);
    }
    if (i > 1 && i <= THRESHOLD) {
      assert.ok(cacheStates.length >= 20, `visitor ${i} loaded images over HTTP`);
      assert.deepEqual(cacheStates.filter((state) => state !== 'HIT'), [], `visitor ${i}: every image from the edge cache`);
    }
    if (i > THRESHOLD) assert.deepEqual(cacheStates, [], `visitor ${i}: no image over HTTP`);
  }

  // Server side: reports reached /stats with peer bytes from visitors 4–6.
  const browserPeerBytes = (await Promise.all(visitors.slice(THRESHOLD).map((v) => surface(v.page)))).reduce((sum, s) => sum + s.bytes.peer, 0);
  const totals = await until('peer bytes in /stats', async () => {
    const s = await stats();
    return s.bytes.peer === browserPeerBytes ? s : undefined;
  }).catch(async (err: Error) => assert.fail(`${err.message}: browsers counted ${browserPeerBytes}, /stats says ${JSON.stringify((await stats()).bytes)}`));
  assert.ok((totals.bytes.server ?? 0) > 0, 'visitors 1–3 reported server bytes');
});

test('nginx origin, threshold 1: the second visitor gets every image from the first, and nginx logs no image request from it', async () => {
  const root = await demoSiteRoot('peerconnect-e2e-site-');
  const nginx = await startNginx({ root });
  const proxy = await startProxy({ ORIGIN: nginx.url.href.replace(/\/$/, ''), P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS });
  const local: Visitor[] = [];
  try {
    const base = new URL('/index.html', proxy.url).href;
    const first = await visit(browser, base, 'nginx-visitor-1');
    local.push(first);
    await scrollThrough(first.page);
    await waitForImagesPainted(first.page);
    const tagged = (await imageStates(first.page)).filter((img) => img.id !== null);
    assert.deepEqual(tagged.filter((img) => img.mode !== 'http'), []);
    await waitForHeld(first.page, new Set(tagged.map((img) => img.id)).size);
    const firstId = (await surface(first.page)).peerId;

    const second = await visit(browser, base, 'nginx-visitor-2');
    local.push(second);
    await scrollThrough(second.page);
    await waitForImagesPainted(second.page);
    const taggedSecond = (await imageStates(second.page)).filter((img) => img.id !== null);
    assert.deepEqual(taggedSecond.filter((img) => img.mode !== 'peer'), []);
    const distinct = new Set(taggedSecond.map((img) => img.id)).size;
    const s = await until('records', async () => {
      const current = await surface(second.page);
      return Object.keys(current.assets).length >= distinct ? current : undefined;
    });
    assert.deepEqual(Object.values(s.assets).filter((r) => r.source !== 'peer' || r.peer !== firstId), [], 'every image from the first visitor');

    const log = await readFile(nginx.accessLogPath, 'utf8');
    const lines = log.split('\n').filter((line) => / "GET \/images\/[^ ]+\.png /.test(line));
    assert.ok(lines.some((line) => line.includes('nginx-visitor-1')), 'nginx served the first visitor');
    assert.deepEqual(lines.filter((line) => line.includes('nginx-visitor-2')), [], 'nginx served no image to the second visitor');
  } finally {
    for (const v of local) await v.context.close().catch(() => undefined);
    await proxy.close();
    await nginx.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('holdings survive navigation: a visitor who moved on to another page still serves the gallery images', async () => {
  const proxy = await startProxy({ P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS });
  const local: Visitor[] = [];
  try {
    const first = await visit(browser, new URL('/', proxy.url).href, 'moving-1');
    local.push(first);
    await scrollThrough(first.page);
    await waitForImagesPainted(first.page);
    const distinct = new Set((await imageStates(first.page)).filter((img) => img.id !== null).map((img) => img.id)).size;
    await waitForHeld(first.page, distinct);
    // Same tab, next page: the gallery images come back from the Cache API, re-verified and announced.
    await first.page.goto(new URL('/about.html', proxy.url).href, { waitUntil: 'load' });
    await waitForHeld(first.page, distinct);
    const firstId = (await surface(first.page)).peerId;

    const second = await visit(browser, new URL('/', proxy.url).href, 'moving-2');
    local.push(second);
    await scrollThrough(second.page);
    await waitForImagesPainted(second.page);
    const s = await until('records', async () => {
      const current = await surface(second.page);
      return Object.keys(current.assets).length >= distinct ? current : undefined;
    });
    assert.deepEqual(Object.values(s.assets).filter((r) => r.source !== 'peer' || r.peer !== firstId), [], 'every image from the visitor now on /about.html');
  } finally {
    for (const v of local) await v.context.close().catch(() => undefined);
    await proxy.close();
  }
});

test('hedged fallback (P2P_HEDGE_MS=1): every parked image still paints pixel-identical, each record says which leg won, and parked images shift no layout (CLS 0)', async () => {
  const proxy = await startProxy({ P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS, P2P_HEDGE_MS: '1' });
  const local: Visitor[] = [];
  // Layout shifts as the page itself sees them (Layout Instability API), from before the first paint.
  const watchShifts = async (context: BrowserContext): Promise<void> => {
    await context.addInitScript(() => {
      const w = window as unknown as { __cls: number };
      w.__cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
          if (!entry.hadRecentInput) w.__cls += entry.value;
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
  };
  try {
    const first = await visit(browser, new URL('/', proxy.url).href, 'hedge-1', watchShifts);
    local.push(first);
    await scrollThrough(first.page);
    await waitForImagesPainted(first.page);
    const distinct = new Set((await imageStates(first.page)).filter((img) => img.id !== null).map((img) => img.id)).size;
    await waitForHeld(first.page, distinct);
    const reference = await pixelDigests(first.page);
    const clsHttp = await first.page.evaluate(() => (window as unknown as { __cls: number }).__cls);

    const second = await visit(browser, new URL('/', proxy.url).href, 'hedge-2', watchShifts);
    local.push(second);
    const parked = (await imageStates(second.page)).filter((img) => img.mode === 'peer');
    assert.ok(parked.length >= 20, `the gallery waits for peers (${parked.length} parked)`);
    // CLS before any scrolling: the above-the-fold images painted from blobs kept their boxes.
    await waitForImagesPainted(second.page).catch(() => undefined);
    const clsAboveFold = await second.page.evaluate(() => (window as unknown as { __cls: number }).__cls);
    await scrollThrough(second.page);
    await waitForImagesPainted(second.page);
    const s = await until('records', async () => {
      const current = await surface(second.page);
      return Object.keys(current.assets).length >= distinct ? current : undefined;
    });
    const records = Object.values(s.assets);
    // With a 1 ms hedge delay no first peer byte can be in time: every image ran both legs.
    assert.deepEqual(records.filter((r) => r.hedge !== 'peer' && r.hedge !== 'http'), [], 'every record says which leg won');
    for (const r of records) {
      if (r.hedge === 'http') assert.equal(r.source, 'server', `${r.url}: HTTP won, counted as server bytes`);
      else assert.ok(r.source === 'peer' && r.peer !== undefined, `${r.url}: the peer won, counted as peer bytes`);
    }
    const digests = await pixelDigests(second.page);
    for (const [path, digest] of Object.entries(digests)) {
      if (reference[path]) assert.equal(digest, reference[path], `${path} pixels`);
    }
    assert.equal(clsHttp, 0, 'the demo gallery has no layout shift over plain HTTP');
    assert.equal(clsAboveFold, 0, 'parked images hold their boxes: no layout shift');
    // The proxy took the report with its hedge fields (a rejected batch would count nothing), and /metrics counts the hedges.
    await until('report', async () => {
      const res = await fetch(new URL('/__p2p/stats', proxy.url));
      const body = (await res.json()) as { bytes: Record<string, number> };
      return (body.bytes.peer ?? 0) + (body.bytes.server ?? 0) > 0 ? body : undefined;
    });
    const scrape = async () => parsePrometheusText(await (await fetch(new URL('/__p2p/metrics', proxy.url))).text());
    const m = await until('hedge metrics', async () => {
      const current = await scrape();
      return sampleValue(current, 'peerconnect_hedges_total') >= records.length ? current : undefined;
    });
    const won = (leg: string): number => sampleValue(m, 'peerconnect_hedges_won_total', { leg });
    assert.equal(won('peer') + won('http'), sampleValue(m, 'peerconnect_hedges_total'), 'every hedge has a winner');
    const httpWonBytes = records.filter((r) => r.hedge === 'http').reduce((sum, r) => sum + r.bytes, 0);
    assert.ok(sampleValue(m, 'peerconnect_hedge_http_bytes_total') >= httpWonBytes, 'HTTP legs\' bytes counted');
  } finally {
    for (const v of local) await v.context.close().catch(() => undefined);
    await proxy.close();
  }
});

test('LCP-aware parking (P2P_LCP_HTTP default): the image covering most of the first viewport loads over HTTP, the others still from peers', async () => {
  const proxy = await startProxy({ P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS, P2P_LCP_HTTP: '' });
  const local: Visitor[] = [];
  try {
    const first = await visit(browser, new URL('/', proxy.url).href, 'lcp-1');
    local.push(first);
    await scrollThrough(first.page);
    await waitForImagesPainted(first.page);
    const distinct = new Set((await imageStates(first.page)).filter((img) => img.id !== null).map((img) => img.id)).size;
    await waitForHeld(first.page, distinct);

    const second = await visit(browser, new URL('/', proxy.url).href, 'lcp-2');
    local.push(second);
    await scrollThrough(second.page);
    await waitForImagesPainted(second.page);
    const s = await until('records', async () => {
      const current = await surface(second.page);
      return Object.keys(current.assets).length >= distinct ? current : undefined;
    });
    // The demo's hero (a <picture> 1200 px wide at this viewport) is the largest image in view.
    const hero = Object.values(s.assets).filter((r) => /\/images\/hero-\d+\.png$/.test(r.url));
    assert.equal(hero.length, 1, JSON.stringify(hero));
    assert.equal(hero[0]?.source, 'server', 'the LCP image came over HTTP');
    assert.equal(hero[0]?.fallback, undefined, 'by choice, not as a fallback');
    const others = Object.values(s.assets).filter((r) => !/\/images\/hero-\d+\.png$/.test(r.url));
    assert.ok(others.length >= 20);
    assert.deepEqual(others.filter((r) => r.source !== 'peer'), [], 'every other image from the first visitor');
  } finally {
    for (const v of local) await v.context.close().catch(() => undefined);
    await proxy.close();
  }
});

/** An origin with one page showing one image twice, neither with width/height attributes; counts image requests per visitor. */
async function sameImageTwiceOrigin(): Promise<{ url: string; imageRequests: (agent: string) => number; close: () => Promise<void> }> {
  const png = makePng(480, 160, 77, 0.1);
  const html = '<!doctype html><html><head><title>Twice</title></head><body><h1>One image, twice</h1>'
    + '<img src="/images/wide.png" alt="wide"><p>Between the two.</p><img src="/images/wide.png" alt="wide again"><p>The end.</p></body></html>';
  const seen: string[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/images/wide.png') {
      seen.push(req.headers['user-agent'] ?? '');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'max-age=3600' }).end(png);
    } else if (req.url === '/twice.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    imageRequests: (agent) => seen.filter((ua) => ua.includes(agent)).length,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('an image without width/height attributes holds its box from the config\'s intrinsic size before its bytes arrive (CLS 0), and a second element with the same URL shares the first one\'s hedge (one HTTP fetch)', async () => {
  const origin = await sameImageTwiceOrigin();
  const proxy = await startProxy({ ORIGIN: origin.url, P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS, P2P_HEDGE_MS: '1', EDGE_CACHE: 'off' });
  const local: Visitor[] = [];
  // When the deferred client has run (DOMContentLoaded): each image's box and whether it still waits for its bytes.
  const watchBoxes = async (context: BrowserContext): Promise<void> => {
    await context.addInitScript(() => {
      const w = window as unknown as { __cls: number; __early: { parked: boolean; complete: boolean; width: number; height: number }[] };
      w.__cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
          if (!entry.hadRecentInput) w.__cls += entry.value;
        }
      }).observe({ type: 'layout-shift', buffered: true });
      document.addEventListener('DOMContentLoaded', () => {
        w.__early = [...document.images].map((img) => {
          const box = img.getBoundingClientRect();
          return { parked: img.hasAttribute('data-p2p-src'), complete: img.complete && img.naturalWidth > 0, width: box.width, height: box.height };
        });
      });
    });
  };
  try {
    const page = new URL('/twice.html', proxy.url).href;
    const first = await visit(browser, page, 'twice-1');
    local.push(first);
    await waitForImagesPainted(first.page);
    await waitForHeld(first.page, 1);

    const second = await visit(browser, page, 'twice-2', watchBoxes);
    local.push(second);
    const config = await second.page.evaluate(() => JSON.parse(document.getElementById('__p2p-config')?.textContent ?? '{}') as { assets?: { url: string; width?: number; height?: number }[] });
    assert.deepEqual(config.assets?.map(({ url, width, height }) => ({ url, width, height })), [{ url: '/images/wide.png', width: 480, height: 160 }], 'the config carries the intrinsic size');
    await waitForImagesPainted(second.page);
    const early = await second.page.evaluate(() => (window as unknown as { __early: unknown }).__early);
    assert.deepEqual(early, [
      { parked: true, complete: false, width: 480, height: 160 },
      { parked: true, complete: false, width: 480, height: 160 },
    ], 'both parked images held the 480 × 160 box before any bytes arrived');
    const painted = await second.page.evaluate(() => [...document.images].map((img) => {
      const box = img.getBoundingClientRect();
      return { width: box.width, height: box.height, attributes: img.hasAttribute('width') || img.hasAttribute('height') };
    }));
    assert.deepEqual(painted, [{ width: 480, height: 160, attributes: false }, { width: 480, height: 160, attributes: false }], 'painted at the same size, the stand-in attributes gone');
    assert.equal(await second.page.evaluate(() => (window as unknown as { __cls: number }).__cls), 0, 'no layout shift');
    // With a 1 ms hedge delay the first element's HTTP leg starts at once (and wins on loopback); the second
    // shares it. Chromium's cache serves a second concurrent fetch of the URL from the first, so the
    // page's own Resource Timing counts the fetches, and the origin sees at most one.
    const fetches = await second.page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => (e as PerformanceResourceTiming).initiatorType === 'fetch' && e.name.endsWith('/images/wide.png')).length);
    assert.ok(fetches <= 1, `one HTTP fetch of the image for both elements (${fetches})`);
    assert.ok(origin.imageRequests('twice-2') <= 1);
    assert.deepEqual(await pixelDigests(second.page), await pixelDigests(first.page), 'pixel-identical');
  } finally {
    for (const v of local) await v.context.close().catch(() => undefined);
    await proxy.close();
    await origin.close();
  }
});
