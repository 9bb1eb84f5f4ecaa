import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { TestCa, type TestLeaf } from '../proxy/test-ca.js';
import { CHROMIUM_PATH, chromiumArgs } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { imageStates, scrollThrough, surface, visit, waitForHeld, waitForImagesPainted, type Visitor } from '../helpers/p2p-page.js';
import type { RunningApp } from '../../proxy/app.js';

/** Peer transfers are judged by source, not speed: a generous deadline keeps a loaded machine from falling back. */
const PEER_TIMEOUT_MS = '8000';
const RECORDS_WAIT_MS = 20_000;

let ca: TestCa;
let leaf: TestLeaf;
let app: RunningApp;
let browser: Browser;
const visitors: Visitor[] = [];

before(async () => {
  ca = new TestCa();
  leaf = ca.issue(['localhost', '127.0.0.1']);
  app = await startProxy({
    TLS_CERT_FILE: leaf.certFile, TLS_KEY_FILE: leaf.keyFile, HTTP_PORT: 'off',
    P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS,
  });
  // Chromium trusts exactly this certificate's key, as a visitor's browser trusts a public CA.
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...chromiumArgs(), `--ignore-certificate-errors-spki-list=${leaf.spki}`] });
});

after(async () => {
  for (const v of visitors) await v.context.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
  ca?.remove();
});

/** Counts crypto.subtle.digest calls: on https the client verifies peer bytes with WebCrypto. */
async function countDigests(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __subtleDigests: number };
    w.__subtleDigests = 0;
    if (!globalThis.crypto?.subtle) return;
    const digest = crypto.subtle.digest.bind(crypto.subtle);
    crypto.subtle.digest = (...args: Parameters<SubtleCrypto['digest']>) => {
      w.__subtleDigests++;
      return digest(...args);
    };
  });
}

test('https with HTTP/2: a secure context, images over h2, then P2P images with WebCrypto verification (threshold 1, two visitors)', async () => {
  const url = new URL('/', app.url).href;
  assert.match(url, /^https:\/\/127\.0\.0\.1:/);

  const first = await visit(browser, url, 'visitor-1', countDigests);
  visitors.push(first);
  await scrollThrough(first.page);
  await waitForImagesPainted(first.page);
  assert.equal(await first.page.evaluate(() => window.isSecureContext), true);
  assert.equal(await first.page.evaluate(() => typeof crypto.subtle?.digest), 'function');
  const protocols = await first.page.evaluate(() => (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
    .filter((e) => new URL(e.name).pathname.endsWith('.png'))
    .map((e) => e.nextHopProtocol));
  assert.ok(protocols.length >= 20, `images fetched over HTTP: ${protocols.length}`);
  assert.deepEqual([...new Set(protocols)], ['h2'], 'every image over HTTP/2');
  const navigation = await first.page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
  assert.equal(navigation, 'h2');
  const tagged = (await imageStates(first.page)).filter((img) => img.id !== null);
  assert.ok(tagged.length >= 20, `the gallery is tagged (${tagged.length})`);
  assert.deepEqual(tagged.filter((img) => img.mode !== 'http'), [], 'visitor 1 loads tagged images over HTTP');
  const distinct = new Set(tagged.map((img) => img.id)).size;
  await waitForHeld(first.page, distinct);
  const holder = await surface(first.page);
  assert.equal(holder.state, 'running', 'signaling over wss (HTTP/1.1 upgrade beside h2)');

  const second = await visit(browser, url, 'visitor-2', countDigests);
  visitors.push(second);
  await scrollThrough(second.page);
  await waitForImagesPainted(second.page);
  const secondTagged = (await imageStates(second.page)).filter((img) => img.id !== null);
  assert.deepEqual(secondTagged.filter((img) => img.mode !== 'peer'), [], 'visitor 2 waits for peers for every tagged image');
  const deadline = Date.now() + RECORDS_WAIT_MS;
  let s = await surface(second.page);
  while (Object.keys(s.assets).length < distinct && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    s = await surface(second.page);
  }
  const records = Object.values(s.assets);
  assert.equal(records.length, distinct);
  assert.deepEqual(records.filter((r) => r.source !== 'peer' || r.fallback), [], 'every image from the first visitor');
  assert.ok(records.every((r) => r.peer === holder.peerId));
  assert.equal(s.bytes.server, 0);
  for (const img of secondTagged) assert.match(img.currentSrc, /^blob:/);
  const digests = await second.page.evaluate(() => (window as unknown as { __subtleDigests: number }).__subtleDigests);
  assert.ok(digests >= distinct, `peer bytes verified with crypto.subtle.digest (${digests} calls for ${distinct} images)`);
});

test('https: video streams through WebTorrent and the Service Worker (a secure context on a real host name)', async () => {
  const v = await visit(browser, new URL('/video.html', app.url).href, 'video-visitor');
  visitors.push(v);
  await v.page.waitForFunction(() => Object.values(window.__peerconnect?.media ?? {}).some((m) => m.url.endsWith('/demo.webm') && m.state !== 'loading'), undefined, { timeout: RECORDS_WAIT_MS });
  const record = Object.values((await surface(v.page)).media).find((m) => m.url.endsWith('/demo.webm'));
  assert.equal(record?.state, 'streaming', `streams through WebTorrent (${JSON.stringify(record)})`);
  await v.page.evaluate(async () => {
    const video = document.querySelector('video') as HTMLVideoElement;
    video.muted = true;
    await video.play();
  });
  await v.page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 0, undefined, { timeout: RECORDS_WAIT_MS });
  const playing = await v.page.evaluate(() => ({
    src: (document.querySelector('video') as HTMLVideoElement).currentSrc,
    controller: navigator.serviceWorker.controller?.scriptURL ?? '',
  }));
  assert.match(playing.src, /^https:\/\/.*\/webtorrent\/[0-9a-f]{40}\/demo\.webm$/, 'the element plays the torrent stream');
  assert.match(playing.controller, /^https:\/\/.*\/__p2p\/sw\.min\.js$/, 'through the Service Worker');
});
