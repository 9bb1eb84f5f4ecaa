import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { imageStates, scrollThrough, surface, visit, waitForImagesPainted } from '../helpers/p2p-page.js';

/** Bound for waiting on the client's own records. */
const RECORDS_TIMEOUT_MS = 15_000;

let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function withProxy(env: Record<string, string>, body: (app: RunningApp, base: string) => Promise<void>): Promise<void> {
  const app = await startProxy(env);
  try {
    await body(app, new URL('/', app.url).href);
  } finally {
    await app.close();
  }
}

test('excludeFormats: the gif stays untagged and loads over HTTP even with threshold 0', async () => {
  await withProxy({ P2P_THRESHOLD: '0' }, async (app, base) => {
    const v = await visit(browser, base, 'gif');
    try {
      await scrollThrough(v.page);
      await waitForImagesPainted(v.page);
      const gif = (await imageStates(v.page)).find((img) => img.src.endsWith('.gif'));
      assert.ok(gif);
      assert.equal(gif.id, null);
      assert.equal(gif.mode, null);
      assert.match(gif.currentSrc, /\/images\/spinner\.gif$/);
      assert.ok(app.demo?.accessLog.some((e) => e.path === '/images/spinner.gif' && e.userAgent?.includes('gif')));
    } finally {
      await v.context.close();
    }
  });
});

test('mediaTypes [image]: video and audio are left untouched and play over HTTP', async () => {
  await withProxy({ P2P_THRESHOLD: '0', P2P_MEDIA_TYPES: 'image' }, async (app, base) => {
    const v = await visit(browser, new URL('video.html', base).href, 'media-types');
    try {
      const media = await v.page.evaluate(() => [...document.querySelectorAll('video, audio, video source')].map((el) => ({
        tag: el.tagName, id: el.getAttribute('data-p2p'), src: el.getAttribute('src'), parked: el.hasAttribute('data-p2p-src'),
      })));
      assert.ok(media.length >= 3);
      assert.deepEqual(media.filter((m) => m.id !== null || m.parked), [], 'no media element tagged');
      await v.page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 1, undefined, { timeout: RECORDS_TIMEOUT_MS });
      const s = await surface(v.page);
      assert.deepEqual(s.media, {}, 'WebTorrent not involved');
      const scripts = await v.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('webtorrent')));
      assert.deepEqual(scripts, [], 'WebTorrent never loaded');
      assert.ok(app.demo?.accessLog.some((e) => e.path === '/media/demo.webm'));
    } finally {
      await v.context.close();
    }
  });
});

test('foldLoading: the first foldCount images stay on HTTP, later ones wait for peers', async () => {
  await withProxy({ P2P_THRESHOLD: '0', P2P_FOLD_LOADING: 'true', P2P_FOLD_COUNT: '4' }, async (_app, base) => {
    const v = await visit(browser, base, 'fold');
    try {
      await scrollThrough(v.page);
      await waitForImagesPainted(v.page);
      const all = await imageStates(v.page);
      // The injector counts every <img> in document order (the gif included).
      const fold = all.slice(0, 4).filter((img) => img.id !== null);
      const rest = all.slice(4).filter((img) => img.id !== null);
      assert.ok(fold.length >= 2);
      assert.deepEqual(fold.filter((img) => img.mode !== 'http'), [], 'above the fold: HTTP');
      assert.ok(rest.length >= 16);
      assert.deepEqual(rest.filter((img) => img.mode !== 'peer'), [], 'below the fold: peers');
      assert.deepEqual(all.filter((img) => img.parked || img.width === 0), [], 'every image rendered (no holders: HTTP fallback)');
    } finally {
      await v.context.close();
    }
  });
});

test('seeder always present: with threshold 0 and no browser holder, images arrive from the server seeder over WebRTC', async () => {
  await withProxy({ P2P_THRESHOLD: '0', SEEDER_MODE: 'embedded', P2P_PEER_TIMEOUT_MS: '8000' }, async (app, base) => {
    const seederId = await waitFor(() => app.seeder.peer?.signal.peerId);
    const v = await visit(browser, base, 'seeder-only');
    try {
      await scrollThrough(v.page);
      await waitForImagesPainted(v.page);
      const tagged = (await imageStates(v.page)).filter((img) => img.id !== null);
      const distinct = new Set(tagged.map((img) => img.id)).size;
      await v.page.waitForFunction((n) => Object.keys(window.__peerconnect?.assets ?? {}).length >= n, distinct, { timeout: RECORDS_TIMEOUT_MS });
      const s = await surface(v.page);
      const records = Object.values(s.assets);
      assert.deepEqual(records.filter((r) => r.fallback), [], `no fallback: ${JSON.stringify(s.fallbacks)}`);
      assert.deepEqual(records.filter((r) => r.peer !== seederId), [], 'every image came from the seeder');
      assert.ok(records.every((r) => r.source === 'seeder' || r.source === 'peer'));
      for (const img of tagged) assert.match(img.currentSrc, /^blob:/);
      const pngFetches = app.demo?.accessLog.filter((e) => e.userAgent?.includes('seeder-only') && e.path.endsWith('.png')) ?? [];
      assert.deepEqual(pngFetches, [], 'the visitor fetched no image from the origin');
    } finally {
      await v.context.close();
    }
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = RECORDS_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
