import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { imageStates, scrollThrough, surface, visit, waitForHeld, waitForImagesPainted } from '../helpers/p2p-page.js';

let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('window.__peerconnect shows no peer ids or holdings unless the visitor turns the debug switch on', async () => {
  const app = await startProxy({ P2P_THRESHOLD: '1' });
  const base = new URL('/', app.url).href;
  const holder = await visit(browser, base, 'debug-holder');
  // Registered after the helpers' switch, so it runs later and turns it off again.
  const asker = await visit(browser, base, 'plain-asker', async (context) => {
    await context.addInitScript(() => localStorage.removeItem('peerconnect:debug'));
  });
  try {
    await scrollThrough(holder.page);
    await waitForImagesPainted(holder.page);
    const tagged = (await imageStates(holder.page)).filter((img) => img.id !== null);
    await waitForHeld(holder.page, new Set(tagged.map((img) => img.id)).size);
    const holderSurface = await surface(holder.page);
    assert.ok(holderSurface.peerId, 'with the switch on, the page shows its peer id');

    await asker.page.reload({ waitUntil: 'load' });
    await scrollThrough(asker.page);
    await waitForImagesPainted(asker.page);
    const plain = await surface(asker.page);
    assert.equal(plain.state, 'running');
    assert.ok(plain.bytes.peer > 0, 'the asker did load images from the holder');
    const raw = JSON.stringify(plain);
    assert.ok(!raw.includes(holderSurface.peerId!), 'the holder\'s peer id is not exposed');
    for (const field of ['peerId', 'banned', 'held'] as const) assert.equal(field in plain, false, `${field} is hidden`);
    const records = Object.values(plain.assets);
    assert.ok(records.length > 0);
    assert.ok(records.every((r) => !('peer' in r)), 'no asset record names its peer');
    // The view is read-only: a page script cannot plant values for others to read.
    const planted = await asker.page.evaluate(() => {
      try {
        (window.__peerconnect as unknown as Record<string, unknown>).state = 'x';
      } catch {
        // frozen
      }
      return window.__peerconnect?.state;
    });
    assert.equal(planted, 'running');

    // The same site with the switch on (the holder's context): the whole surface.
    const full = await (async () => {
      const page = await holder.context.newPage();
      await page.goto(base, { waitUntil: 'load' });
      await page.waitForFunction(() => window.__peerconnect?.peerId !== undefined, undefined, { timeout: 20_000 });
      return surface(page);
    })();
    assert.ok(full.peerId, 'with the switch, a fresh page shows its peer id');
    assert.ok(Array.isArray(full.held));
  } finally {
    await asker.context.close();
    await holder.context.close();
    await app.close();
  }
});
