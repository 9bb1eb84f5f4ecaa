import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';

/**
 * With P2P off (every asset delivered over HTTP), a page seen through the proxy
 * must look exactly like the page seen at the origin: tags, the config block
 * and the client script change nothing visible. Compared as decoded pixels
 * (RGBA from the browser's own decoder), whole page in one tall viewport;
 * video/audio boxes are masked, since their controls animate while loading.
 */
const SETTLE_TIMEOUT_MS = 20_000;
const VIEWPORT = { width: 1200, height: 2600 };
const PAGES = ['/', '/video.html', '/about.html'];

let browser: Browser;
let app: RunningApp;

before(async () => {
  browser = await launchBrowser();
  // P2P off: a threshold no swarm reaches here, so every asset stays on HTTP.
  app = await startProxy({ P2P_THRESHOLD: '1000000' });
});

after(async () => {
  await browser?.close();
  await app?.close();
});

/** Loads `url` in a fresh context and returns a screenshot once every image and media element settled. */
async function shoot(url: string): Promise<{ png: Buffer; html: string; page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load', timeout: SETTLE_TIMEOUT_MS });
  await page.waitForFunction(() => [...document.images].every((img) => img.complete)
    && [...document.querySelectorAll('video, audio')].every((m) => (m as HTMLMediaElement).readyState >= 1), undefined, { timeout: SETTLE_TIMEOUT_MS });
  // Let deferred scripts run and any paint they cause land before the picture.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  // A media element's own pixels (loading spinner, buffered bar) differ between two
  // loads of the origin itself: mask them (same box, same colour) and compare the rest.
  const png = await page.screenshot({ fullPage: false, animations: 'disabled', caret: 'hide', mask: [page.locator('video, audio')], maskColor: '#ff00ff' });
  const html = await page.content();
  return { png, html, page, close: () => context.close() };
}

/**
 * Decodes both PNGs in the page with the browser's decoder and counts differing
 * pixels. Sent as source text: the test transpiler would wrap named functions
 * in a helper that does not exist in the page.
 */
const COMPARE_SOURCE = `async ([first, second]) => {
  const decode = async (base64) => {
    const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + base64)).blob());
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  };
  const x = await decode(first);
  const y = await decode(second);
  if (x.width !== y.width || x.height !== y.height) return { width: -1, height: -1, differing: -1 };
  let differing = 0;
  for (let i = 0; i < x.data.length; i += 4) {
    if (x.data[i] !== y.data[i] || x.data[i + 1] !== y.data[i + 1] || x.data[i + 2] !== y.data[i + 2] || x.data[i + 3] !== y.data[i + 3]) differing++;
  }
  return { width: x.width, height: x.height, differing };
}`;

async function differingPixels(page: Page, a: Buffer, b: Buffer): Promise<{ width: number; height: number; differing: number }> {
  const compare = await page.evaluateHandle(COMPARE_SOURCE);
  try {
    return (await compare.evaluate((fn, args) => (fn as unknown as (x: string[]) => Promise<unknown>)(args), [a.toString('base64'), b.toString('base64')])) as { width: number; height: number; differing: number };
  } finally {
    await compare.dispose();
  }
}

for (const path of PAGES) {
  test(`demo ${path}: identical pixels with and without the proxy when P2P is off`, async () => {
    const direct = await shoot(new URL(path, app.origin).href);
    const proxied = await shoot(new URL(path, app.url).href);
    try {
      assert.ok(!direct.html.includes('__p2p-config'), 'the origin page has no client');
      assert.ok(proxied.html.includes('id="__p2p-config"'), 'the proxied page was injected');
      assert.ok(!/data-p2p="[^"]*\.peer"/.test(proxied.html), 'nothing was moved to peers');
      if (path !== '/video.html') assert.match(proxied.html, /<img[^>]+data-p2p="[\w-]{22}\.image\.(http|peer)"/, 'images were tagged');
      const diff = await differingPixels(proxied.page, direct.png, proxied.png);
      assert.equal(diff.width, VIEWPORT.width);
      assert.equal(diff.differing, 0, `${diff.differing} of ${diff.width * diff.height} pixels differ`);
    } finally {
      await direct.close();
      await proxied.close();
    }
  });
}
