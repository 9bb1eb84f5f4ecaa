import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import type { ReportBody } from '../../protocol/report.js';
import { launchBrowser, newVisitor } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { scrollThrough, surface, visit, waitForHeld, waitForImagesPainted, type Visitor } from '../helpers/p2p-page.js';

const TOKEN = 'dashboard-e2e-admin-token-0123456789';
const TIMEOUT_MS = 15_000;
const ARTIFACTS = 'test-artifacts';

let app: RunningApp;
let browser: Browser;
let base: string;

before(async () => {
  app = await startProxy({ ADMIN_TOKEN: TOKEN });
  base = app.url.href.replace(/\/$/, '');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.close();
});

async function postReport(body: ReportBody): Promise<void> {
  const res = await fetch(`${base}/__p2p/report`, {
    method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  assert.equal(res.status, 204);
}

test('dashboard without the token says so and shows no figures', async () => {
  const context = await newVisitor(browser);
  try {
    const page = await context.newPage();
    const res = await page.goto(`${base}/__p2p/dashboard`, { timeout: TIMEOUT_MS });
    assert.equal(res?.status(), 401);
  } finally {
    await context.close();
  }
});

test('dashboard loads with the token and shows peer bytes after reports arrive', async () => {
  const context = await newVisitor(browser);
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    const res = await page.goto(`${base}/__p2p/dashboard?token=${TOKEN}`, { timeout: TIMEOUT_MS });
    assert.equal(res?.status(), 200);
    // The token leaves the address bar at once (and never goes out in a Referer).
    assert.ok(!page.url().includes(TOKEN), page.url());
    await page.waitForSelector('body[data-state="live"]', { timeout: TIMEOUT_MS });
    assert.equal(await page.textContent('[data-field="offload-peer"]'), '–');

    await postReport({ v: 1, page: '/gallery', assets: [
      { id: 'PeerAssetAAAAAAAAAAAAA', source: 'peer', bytes: 3 * 1024 * 1024, ms: 140 },
      { id: 'PeerAssetBBBBBBBBBBBBB', source: 'peer', bytes: 1024 * 1024, ms: 210 },
      { id: 'PeerAssetBBBBBBBBBBBBB', source: 'seeder', bytes: 512 * 1024, ms: 90 },
      { id: 'ServerAssetCCCCCCCCCCC', source: 'server', bytes: 2 * 1024 * 1024, ms: 60, fallback: 'no-holder' },
      { id: 'ServerAssetDDDDDDDDDDD', source: 'server', bytes: 512 * 1024, fallback: 'timeout' },
    ] });

    // Polling picks the reports up within a few seconds.
    await page.waitForFunction(() => document.querySelector('[data-field="bytes-peer"]')?.textContent === '4.0 MiB', undefined, { timeout: TIMEOUT_MS });
    assert.equal(await page.textContent('[data-field="offload-peer"]'), '57.1 %');
    assert.equal(await page.textContent('[data-field="offload-p2p"]'), '64.3 %');
    assert.equal(await page.textContent('[data-field="peers"]'), '0');
    // Origin bytes saved, apart: P2P (peer + seeder + webseed reported) and the edge cache (counted by the proxy).
    assert.equal(await page.textContent('[data-field="saved-peers"]'), '4.5 MiB');
    const image = await fetch(`${base}/images/hero-960.png`);
    const imageBytes = (await image.arrayBuffer()).byteLength;
    const again = await fetch(`${base}/images/hero-960.png`);
    await again.arrayBuffer();
    assert.equal(again.headers.get('x-cache'), 'HIT');
    await page.waitForFunction((text) => document.querySelector('[data-field="saved-cache"]')?.textContent === text,
      `${(imageBytes / 1024).toFixed(1)} KiB`, { timeout: TIMEOUT_MS });
    // The browser's own /favicon.ico (an image path, a miss) may count too: the hit is what matters.
    const stats = await (await fetch(`${base}/__p2p/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as { sources: { edgeCache?: { hits: number } } };
    assert.equal(stats.sources.edgeCache?.hits, 1);
    assert.match(await page.textContent('[data-field="cache-hits"]') ?? '', /^\d+\.\d % of [2-9]$/);
    const assetRows = await page.$$eval('[data-field="assets"] tr', (rows) => rows.map((row) => row.firstElementChild?.textContent));
    // Ids the seeder never indexed are shown as ids.
    assert.deepEqual(assetRows.slice(0, 2), ['PeerAssetAAAAAAAAAAAAA', 'PeerAssetBBBBBBBBBBBBB']);
    const reasons = await page.$$eval('[data-field="fallbacks"] tr', (rows) => rows.map((row) => row.firstElementChild?.textContent).sort());
    assert.deepEqual(reasons, ['no-holder', 'timeout']);
    // The chart drew something: some pixels in the canvas are not transparent.
    const painted = await page.$eval('[data-field="chart"]', (canvas) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) count++;
      return count;
    });
    assert.ok(painted > 0);
    assert.deepEqual(errors, []);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-reports.png`, fullPage: true });
  } finally {
    await context.close();
  }
});

test('after a real P2P run (threshold 1: visitor 2 gets images from visitor 1) the dashboard shows peer bytes and peers', async () => {
  const p2p = await startProxy({ ADMIN_TOKEN: TOKEN, P2P_THRESHOLD: '1' });
  const visitors: Visitor[] = [];
  try {
    const site = new URL('/', p2p.url).href;
    const first = await visit(browser, site, 'dashboard-visitor-1');
    visitors.push(first);
    await scrollThrough(first.page);
    await waitForImagesPainted(first.page);
    const held = (await surface(first.page)).held.length;
    await waitForHeld(first.page, Math.max(1, held));
    const second = await visit(browser, site, 'dashboard-visitor-2');
    visitors.push(second);
    await scrollThrough(second.page);
    await waitForImagesPainted(second.page);
    const peerBytes = await second.page.waitForFunction(() => {
      const s = (window as unknown as { __peerconnect?: { bytes: { peer: number }; reportsSent: number } }).__peerconnect;
      return s && s.bytes.peer > 0 && s.reportsSent > 0 ? s.bytes.peer : 0;
    }, undefined, { timeout: TIMEOUT_MS });
    assert.ok(Number(await peerBytes.jsonValue()) > 0);

    const context = await newVisitor(browser);
    try {
      const page = await context.newPage();
      await page.goto(`${p2p.url.href.replace(/\/$/, '')}/__p2p/dashboard?token=${TOKEN}`, { timeout: TIMEOUT_MS });
      await page.waitForFunction(() => {
        const text = document.querySelector('[data-field="bytes-peer"]')?.textContent ?? '';
        return text !== '' && text !== '0 B' && text !== '–';
      }, undefined, { timeout: TIMEOUT_MS });
      const peers = Number(await page.textContent('[data-field="peers"]'));
      assert.ok(peers >= 2, `both visitors are connected peers, dashboard says ${peers}`);
      assert.match(await page.textContent('[data-field="offload-peer"]') ?? '', /^\d+\.\d %$/);
      // Assets the seeder indexed are named by their URL path.
      const names = await page.$$eval('[data-field="assets"] td[data-asset-id]', (cells) => cells.map((cell) => cell.textContent));
      assert.ok(names.length > 0 && names.every((name) => name?.startsWith('/')), names.join(', '));
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    } finally {
      await context.close();
    }
  } finally {
    for (const v of visitors) await v.context.close().catch(() => undefined);
    await p2p.close();
  }
});
