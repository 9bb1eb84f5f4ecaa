import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import { CHROMIUM_PATH, chromiumArgs } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { surface, visit, type Visitor } from '../helpers/p2p-page.js';
import { EAGER, HOME, MORE, SpaOrigin } from './spa-fixture.js';

/** Bound for a page to settle: images inserted and painted, holdings announced. */
const SETTLE_TIMEOUT_MS = 25_000;
const PEER_TIMEOUT_MS = '8000';

let browser: Browser;
let origin: SpaOrigin;
let app: RunningApp;
const visitors: Visitor[] = [];

before(async () => {
  // Playwright turns the back/forward cache off by default; visitors have it on.
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs(), ignoreDefaultArgs: ['--disable-back-forward-cache'], timeout: 30_000 });
  origin = new SpaOrigin();
  await origin.start();
  // The origin's log is how these tests see every HTTP image load: no edge cache between them.
  app = await startProxy({ ORIGIN: origin.url, P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS, EDGE_CACHE: 'off' });
});

after(async () => {
  for (const v of visitors) await v.context.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
  await origin?.close();
});

async function open(agent: string): Promise<Visitor> {
  const v = await visit(browser, new URL('/', app.url).href, agent, async (context) => {
    await context.addInitScript(() => {
      window.addEventListener('pageshow', (event) => {
        (window as unknown as { restored: boolean }).restored = event.persisted;
      });
    });
  });
  visitors.push(v);
  return v;
}

async function view(page: Page, name: string): Promise<void> {
  await page.waitForFunction((n) => document.body.dataset.view === n, name, { timeout: SETTLE_TIMEOUT_MS });
}

async function scrollAndPaint(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (let y = 0; y <= document.body.scrollHeight; y += 300) {
      window.scrollTo(0, y);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  });
  await page.waitForFunction(() => [...document.querySelectorAll('#app img')].every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), undefined, { timeout: SETTLE_TIMEOUT_MS, polling: 100 });
}

/** Every image of the view painted exactly once, from its own URL or a blob of it. */
async function paintedOnce(page: Page): Promise<{ url: string; loads: number; blob: boolean }[]> {
  return page.evaluate(() => {
    const blobs = window.__peerconnect?.blobs ?? {};
    return [...document.querySelectorAll<HTMLImageElement>('#app img')].map((img) => ({
      url: new URL(blobs[img.currentSrc] ?? img.currentSrc).pathname,
      loads: Number(img.dataset.loads ?? 0),
      blob: img.currentSrc.startsWith('blob:'),
    }));
  });
}

async function waitForHeld(page: Page, count: number): Promise<void> {
  try {
    await page.waitForFunction((n) => (window.__peerconnect?.held.length ?? 0) >= n, count, { timeout: SETTLE_TIMEOUT_MS, polling: 100 });
  } catch (err) {
    const s = await surface(page);
    throw new Error(`held ${s.held.length} of ${count} (state ${s.state} ${s.reason ?? ''}, assets ${JSON.stringify(Object.values(s.assets).map((r) => [r.url, r.source, r.fallback]))})`, { cause: err });
  }
}

test('SPA: script-inserted images — the first visitor holds them, a later one gets the lazy ones from peers only when scrolled, nothing renders twice, views swap with pushState on one signaling session', async () => {
  const first = await open('spa-1');
  await view(first.page, 'home');
  await scrollAndPaint(first.page);
  await waitForHeld(first.page, HOME);
  const firstId = (await surface(first.page)).peerId;
  assert.ok(firstId);
  await first.page.evaluate(() => (window as unknown as { spa: { go(p: string): Promise<void> } }).spa.go('/more'));
  await view(first.page, 'more');
  await scrollAndPaint(first.page);
  await waitForHeld(first.page, HOME + MORE.length);
  const afterPush = await surface(first.page);
  assert.equal(afterPush.state, 'running');
  assert.equal(afterPush.peerId, firstId, 'pushState keeps the signaling session');
  assert.equal(origin.images('spa-1').length, HOME + MORE.length, 'the first visitor loaded every image over HTTP once');

  const second = await open('spa-2');
  await view(second.page, 'home');
  // Before any scroll: the lazy images below the fold are fetched neither from the origin nor from peers.
  await second.page.waitForFunction((n) => [...document.querySelectorAll<HTMLImageElement>('#app img')].slice(0, n).every((img) => img.complete && img.naturalWidth > 0), EAGER, { timeout: SETTLE_TIMEOUT_MS });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const early = await surface(second.page);
  const lazyUrls = Array.from({ length: HOME - EAGER }, (_, i) => `/images/photo-${String(EAGER + i + 1).padStart(2, '0')}.png`);
  assert.deepEqual(origin.images('spa-2').filter((p) => lazyUrls.includes(p)), [], 'no lazy image from the origin before scrolling');
  assert.deepEqual(Object.values(early.assets).filter((r) => lazyUrls.includes(new URL(r.url).pathname)).map((r) => r.url), [], 'no lazy image from peers before scrolling');
  const uploadedEarly = (await surface(first.page)).uploadedBytes;

  await scrollAndPaint(second.page);
  const home = await paintedOnce(second.page);
  assert.equal(home.length, HOME);
  assert.deepEqual(home.filter((img) => img.loads !== 1), [], 'every image rendered exactly once');
  await second.page.waitForFunction((n) => Object.values(window.__peerconnect?.assets ?? {}).filter((r) => r.source === 'peer').length >= n, HOME - EAGER, { timeout: SETTLE_TIMEOUT_MS });
  const s = await surface(second.page);
  const fromPeers = Object.values(s.assets).filter((r) => r.source === 'peer' && !r.fallback).map((r) => new URL(r.url).pathname).sort();
  assert.deepEqual(fromPeers, [...lazyUrls].sort(), 'every lazy script-inserted image came from a peer');
  assert.ok((await surface(first.page)).uploadedBytes > uploadedEarly, 'the first visitor uploaded them once they were scrolled near');
  const fromOrigin = origin.images('spa-2');
  assert.deepEqual(fromOrigin.filter((p) => lazyUrls.includes(p)), [], 'the origin served no lazy image to the second visitor');
  assert.equal(fromOrigin.length, EAGER, 'images inserted with a live src load over HTTP, once');

  // The other view, through pushState: still the same signaling session, its lazy images from peers.
  await second.page.evaluate(() => (window as unknown as { spa: { go(p: string): Promise<void> } }).spa.go('/more'));
  await view(second.page, 'more');
  await scrollAndPaint(second.page);
  const more = await paintedOnce(second.page);
  assert.deepEqual(more.filter((img) => img.loads !== 1 || !img.blob), [], 'the /more view painted once, from peers');
  // Back with popstate: the home view is rendered again by the page and still paints.
  await second.page.goBack();
  await view(second.page, 'home');
  await scrollAndPaint(second.page);
  assert.equal((await surface(second.page)).peerId, s.peerId, 'popstate keeps the signaling session');

  const coverage = (HOME - EAGER + MORE.length) / (HOME + MORE.length);
  console.log(`SPA fixture: ${HOME - EAGER + MORE.length} of ${HOME + MORE.length} script-inserted images from peers for a later visitor (${Math.round(coverage * 100)} %)`);
});

test('back/forward cache: a restored page reconnects with a new peer id and serves its images again', async () => {
  for (const v of visitors.splice(0)) await v.context.close();
  const holder = await open('bfcache-1');
  await view(holder.page, 'home');
  await scrollAndPaint(holder.page);
  await waitForHeld(holder.page, HOME);
  const before = (await surface(holder.page)).peerId;
  await holder.page.goto(new URL('/elsewhere', app.url).href, { waitUntil: 'load' });
  // A page restored from the cache fires pageshow (persisted), not load.
  await holder.page.goBack({ waitUntil: 'commit' });
  await holder.page.waitForFunction(() => document.body?.dataset.view === 'home' && (window as unknown as { restored?: boolean }).restored !== undefined, undefined, { timeout: SETTLE_TIMEOUT_MS });
  assert.equal(await holder.page.evaluate(() => (window as unknown as { restored: boolean }).restored), true, 'restored from the back/forward cache');
  await holder.page.waitForFunction((id) => window.__peerconnect?.state === 'running' && window.__peerconnect.peerId !== undefined && window.__peerconnect.peerId !== id, before, { timeout: SETTLE_TIMEOUT_MS });
  await waitForHeld(holder.page, HOME);
  const restored = await surface(holder.page);
  const painted = await paintedOnce(holder.page);
  assert.deepEqual(painted.filter((img) => img.loads !== 1), [], 'the restored page shows its images without reloading them');

  const asker = await open('bfcache-2');
  await view(asker.page, 'home');
  await scrollAndPaint(asker.page);
  await asker.page.waitForFunction((n) => Object.values(window.__peerconnect?.assets ?? {}).filter((r) => r.source === 'peer').length >= n, HOME - EAGER, { timeout: SETTLE_TIMEOUT_MS });
  const s = await surface(asker.page);
  assert.deepEqual(Object.values(s.assets).filter((r) => r.source === 'peer' && r.peer !== restored.peerId), [], 'peer images came from the restored page');
});
