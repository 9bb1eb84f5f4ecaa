import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { imageStates, scrollThrough, surface, visit, waitForHeld, waitForImagesPainted, PAGE_SETTLE_TIMEOUT_MS, type Visitor } from '../helpers/p2p-page.js';

/** How long the asker sits unscrolled before its state is read: long enough for eager loads to have started. */
const IDLE_MS = 2_000;

let browser: Browser;
let app: RunningApp;
const visitors: Visitor[] = [];

before(async () => {
  browser = await launchBrowser();
  app = await startProxy({ P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: '8000' });
});

after(async () => {
  for (const v of visitors) await v.context.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
});

test('server-tagged images far below the fold, eager or lazy, come from peers only once scrolled near: no upload for images never seen', async () => {
  const holder = await visit(browser, new URL('/', app.url).href, 'fold-holder');
  visitors.push(holder);
  await scrollThrough(holder.page);
  await waitForImagesPainted(holder.page);
  const distinct = new Set((await imageStates(holder.page)).filter((img) => img.id !== null).map((img) => img.id)).size;
  await waitForHeld(holder.page, distinct);

  // A phone-sized window from the start: the gallery becomes one column.
  const context = await browser.newContext({ viewport: { width: 320, height: 300 }, extraHTTPHeaders: { 'user-agent': 'Mozilla/5.0 PeerConnectTest fold-asker' } });
  const asker: Visitor = { context, page: await context.newPage(), agent: 'fold-asker' };
  visitors.push(asker);
  // A long page: every figure a few screens apart (before the client starts, which also waits for DOMContentLoaded).
  await context.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = 'figure{margin:0 0 600px}';
    document.head.append(style);
  }));
  await asker.page.goto(new URL('/', app.url).href, { waitUntil: 'load', timeout: PAGE_SETTLE_TIMEOUT_MS });
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const far = await asker.page.evaluate(() => [...document.querySelectorAll('img[data-p2p$=".peer"]')]
    .filter((img) => img.getBoundingClientRect().top > window.innerHeight + 1300)
    .map((img) => ({ parked: img.hasAttribute('data-p2p-src') || img.hasAttribute('data-p2p-srcset'), eager: (img as HTMLImageElement).loading !== 'lazy', url: img.getAttribute('data-p2p-src') })));
  assert.ok(far.length >= 4, `the gallery reaches far below the fold (${far.length} images)`);
  assert.ok(far.some((img) => img.eager), `eager images among them: ${JSON.stringify(far)}`);
  assert.deepEqual(far.filter((img) => !img.parked), [], 'images far below the fold are still parked');
  const before = await surface(asker.page);
  const farUrls = new Set(far.map((img) => img.url));
  assert.deepEqual(Object.values(before.assets).filter((r) => farUrls.has(new URL(r.url).pathname)), [], 'nothing fetched for them yet');
  const uploadedBefore = (await surface(holder.page)).uploadedBytes;

  await scrollThrough(asker.page);
  await waitForImagesPainted(asker.page);
  await asker.page.waitForFunction((n) => Object.keys(window.__peerconnect?.assets ?? {}).length >= n, distinct, { timeout: PAGE_SETTLE_TIMEOUT_MS });
  const s = await surface(asker.page);
  // The gallery photos; the hero is another srcset candidate at this width (the holder, 1200 px wide, holds hero-960).
  const photos = Object.values(s.assets).filter((r) => new URL(r.url).pathname.startsWith('/images/photo-'));
  assert.equal(photos.length, 20);
  assert.deepEqual(photos.filter((r) => r.source !== 'peer').map((r) => [r.url, r.source, r.fallback]), [], 'every photo from the holder once scrolled');
  assert.ok((await surface(holder.page)).uploadedBytes > uploadedBefore, 'the holder uploaded the rest only after the scroll');
});
