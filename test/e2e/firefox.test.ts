import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Browser as Chromium, Page as ChromiumPage } from 'playwright-core';
import type { Browser as Firefox } from 'puppeteer-core';
import type { DebugSurface } from '../../client/report/reporter.js';
import type { RunningApp } from '../../proxy/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { launchFirefox, visitFirefox } from '../helpers/firefox.js';
import { startProxy } from '../helpers/proxy.js';
import { pixelDigests, readImageStates, visit, type ImageState } from '../helpers/p2p-page.js';
import { EAGER, HOME, SpaOrigin } from './spa-fixture.js';
import { faultScript } from '../helpers/fault.js';

/** Bound for a page to settle: images painted, holdings announced, records written. */
const SETTLE_TIMEOUT_MS = 25_000;
/** Bound for video streaming to start. */
const MEDIA_TIMEOUT_MS = 30_000;
/** Generous: these tests check where bytes come from across engines, not the deadline. */
const PEER_TIMEOUT_MS = '8000';

type Engine = 'chromium' | 'firefox';
type Evaluate = <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>;

/** One visitor in either engine, seen through what both drivers share: evaluate in the page. */
interface EngineVisitor {
  engine: Engine;
  agent: string;
  evaluate: Evaluate;
  close(): Promise<void>;
}

let chromium: Chromium;
let firefox: Firefox;

before(async () => {
  [chromium, firefox] = await Promise.all([launchBrowser(), launchFirefox()]);
});

after(async () => {
  await chromium?.close();
  await firefox?.close();
});

async function open(engine: Engine, url: string, agent: string, fault?: string): Promise<EngineVisitor> {
  if (engine === 'chromium') {
    const v = await visit(chromium, url, agent, fault ? async (context) => {
      await context.addInitScript(faultScript, fault);
    } : undefined);
    return {
      engine, agent,
      evaluate: (fn, arg) => v.page.evaluate(fn as (a: unknown) => never, arg),
      close: () => v.context.close(),
    };
  }
  const v = await visitFirefox(firefox, url, agent, fault ? async (page) => {
    await page.evaluateOnNewDocument(faultScript, fault);
  } : undefined);
  return {
    engine, agent,
    evaluate: (fn, arg) => v.page.evaluate(fn as (a: unknown) => never, arg) as never,
    close: () => v.context.close(),
  };
}

/** Polls a page predicate from Node (same code for both drivers); bounded. */
async function waitIn<A>(v: EngineVisitor, what: string, fn: (arg: A) => boolean, arg: A, timeoutMs = SETTLE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await v.evaluate(fn, arg))) {
    if (Date.now() > deadline) throw new Error(`${v.engine} ${v.agent}: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

function surfaceOf(v: EngineVisitor): Promise<DebugSurface> {
  return v.evaluate(() => JSON.parse(JSON.stringify(window.__peerconnect ?? null)) as DebugSurface, null);
}

function states(v: EngineVisitor): Promise<ImageState[]> {
  return v.evaluate(readImageStates, null);
}

/** Scrolls through the page (lazy images come near the viewport), then waits for every image to paint. */
async function settle(v: EngineVisitor): Promise<void> {
  await v.evaluate(async () => {
    for (let y = 0; y <= document.body.scrollHeight; y += 400) {
      window.scrollTo(0, y);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    window.scrollTo(0, 0);
  }, null);
  await waitIn(v, 'images painted', () => [...document.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0), null);
}

/** SHA-256 of the bytes behind every blob-painted image, keyed by its original path. */
function blobDigests(v: EngineVisitor): Promise<Record<string, string>> {
  return v.evaluate(async () => {
    const out: Record<string, string> = {};
    const blobs = window.__peerconnect?.blobs ?? {};
    for (const img of document.querySelectorAll('img')) {
      const original = blobs[img.currentSrc];
      if (!img.currentSrc.startsWith('blob:') || !original) continue;
      const bytes = await (await fetch(img.currentSrc)).arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      out[new URL(original).pathname] = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    }
    return out;
  }, null);
}

async function originDigest(app: RunningApp, path: string): Promise<string> {
  const res = await fetch(new URL(path, app.url));
  assert.equal(res.status, 200, path);
  return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex');
}

function digests(v: EngineVisitor): Promise<Record<string, string>> {
  // pixelDigests only calls page.evaluate with a no-argument function, which both drivers offer.
  return pixelDigests({ evaluate: (fn: () => unknown) => v.evaluate(fn, null) } as unknown as ChromiumPage);
}

async function withProxy(env: Record<string, string>, body: (app: RunningApp) => Promise<void>, testHooks = false): Promise<void> {
  const app = await startProxy({ P2P_PEER_TIMEOUT_MS: PEER_TIMEOUT_MS, ...env }, { clientTestHooks: testHooks });
  try {
    await body(app);
  } finally {
    await app.close();
  }
}

/** A holder loads the gallery over HTTP and holds every image; returns its peer id and pixel digests. */
async function holderOf(app: RunningApp, engine: Engine, agent: string, fault?: string): Promise<{ v: EngineVisitor; id: string; pixels: Record<string, string>; distinct: number }> {
  const v = await open(engine, new URL('/', app.url).href, agent, fault);
  await settle(v);
  const tagged = (await states(v)).filter((img) => img.id !== null);
  assert.ok(tagged.length >= 20, `${engine} holder: gallery tagged (${tagged.length})`);
  assert.deepEqual(tagged.filter((img) => img.mode !== 'http'), [], `${engine} holder: HTTP mode below the threshold`);
  const distinct = new Set(tagged.map((img) => img.id)).size;
  await waitIn(v, 'holdings', (n) => (window.__peerconnect?.held.length ?? 0) >= n, distinct);
  const s = await surfaceOf(v);
  assert.ok(s.peerId);
  return { v, id: s.peerId, pixels: await digests(v), distinct };
}

for (const [holderEngine, askerEngine] of [['firefox', 'chromium'], ['chromium', 'firefox'], ['firefox', 'firefox']] as const) {
  test(`${holderEngine} holder → ${askerEngine} asker: every gallery image over a data channel, byte-identical (pixel-identical within an engine), none from the origin`, async () => {
    await withProxy({ P2P_THRESHOLD: '1' }, async (app) => {
      const tag = `${holderEngine}-to-${askerEngine}`;
      const holder = await holderOf(app, holderEngine, `${tag}-holder`);
      try {
        for (let attempt = 1; ; attempt++) {
          const agent = `${tag}-asker-${attempt}`;
          const asker = await open(askerEngine, new URL('/', app.url).href, agent);
          try {
            await settle(asker);
            const tagged = (await states(asker)).filter((img) => img.id !== null);
            assert.deepEqual(tagged.filter((img) => img.mode !== 'peer'), [], 'every tagged image waits for peers');
            await waitIn(asker, 'records', (n) => Object.keys(window.__peerconnect?.assets ?? {}).length >= n, holder.distinct);
            const s = await surfaceOf(asker);
            const reasons = Object.keys(s.fallbacks);
            if (attempt === 1 && reasons.length > 0 && reasons.every((r) => r === 'peer-closed')) {
              // Firefox 153's SCTP association can close mid-transfer under load (TESTING.md, not
              // root-caused); the client fell back as it must. Once, a fresh visitor tries again.
              console.log(`${tag}: peer-closed fallbacks ${JSON.stringify(s.fallbacks)}; one more visitor`);
              continue;
            }
            assert.deepEqual(Object.values(s.assets).filter((r) => r.source !== 'peer' || r.peer !== holder.id), [], `every image from the ${holderEngine} holder: ${JSON.stringify(s.fallbacks)}`);
            assert.equal(s.bytes.server, 0);
            for (const img of tagged) assert.match(img.currentSrc, /^blob:/);
            // The painted bytes are the origin's bytes, whichever engine served them.
            const painted = await blobDigests(asker);
            assert.ok(Object.keys(painted).length >= 20, `painted ${Object.keys(painted).length} blobs`);
            for (const [path, digest] of Object.entries(painted)) assert.equal(digest, await originDigest(app, path), `${path}: bytes identical to the origin's`);
            // Decoded pixels: engines decode PNGs differently (colour management), so
            // pixels are compared between the holder and the asker of the same engine.
            if (holderEngine === askerEngine) {
              const pixels = await digests(asker);
              let compared = 0;
              for (const [path, digest] of Object.entries(pixels)) {
                if (!holder.pixels[path]) continue;
                assert.equal(digest, holder.pixels[path], `${path}: pixels identical`);
                compared++;
              }
              assert.ok(compared >= 20, `compared ${compared} images`);
            }
            const fromOrigin = (app.demo?.accessLog ?? []).filter((e) => (e.userAgent ?? '').split(' ').includes(agent) && e.path.endsWith('.png'));
            assert.deepEqual(fromOrigin.map((e) => e.path), [], 'the asker fetched no image from the origin');
            // The log does tell visitors apart in this engine: the holder's fetches are there.
            const holderFetches = (app.demo?.accessLog ?? []).filter((e) => (e.userAgent ?? '').split(' ').includes(`${tag}-holder`) && e.path.endsWith('.png'));
            assert.ok(holderFetches.length >= 20, `the holder's image requests are in the origin's log (${holderFetches.length})`);
            // The asker became a holder in its turn.
            await waitIn(asker, 'asker holds', (n) => (window.__peerconnect?.held.length ?? 0) >= n, holder.distinct);
            return;
          } finally {
            await asker.close();
          }
        }
      } finally {
        await holder.v.close();
      }
    });
  });
}

test('firefox: a holder sending corrupted bytes is banned and every image still renders over HTTP', async () => {
  await withProxy({ P2P_THRESHOLD: '1' }, async (app) => {
    const holder = await holderOf(app, 'firefox', 'corrupt-holder', 'corrupt-bytes');
    const asker = await open('firefox', new URL('/', app.url).href, 'corrupt-asker');
    try {
      await settle(asker);
      const all = await states(asker);
      assert.ok(all.filter((img) => img.mode === 'peer').length >= 20, 'the asker was sent to peers');
      assert.deepEqual(all.filter((img) => img.parked || img.width === 0), [], 'every image rendered');
      for (const img of all) assert.doesNotMatch(img.currentSrc, /^blob:/);
      const s = await surfaceOf(asker);
      assert.ok((s.fallbacks['hash-mismatch'] ?? 0) >= 1, JSON.stringify(s.fallbacks));
      assert.deepEqual(s.banned, [holder.id]);
      assert.equal(s.bytes.peer, 0, 'no unverified byte was painted');
    } finally {
      await asker.close();
      await holder.v.close();
    }
  }, true);
});

test('firefox: video streams through WebTorrent and the Service Worker, pieces over WebRTC', async () => {
  await withProxy({ P2P_THRESHOLD: '0', SEEDER_MODE: 'embedded' }, async (app) => {
    const v = await open('firefox', new URL('/video.html', app.url).href, 'firefox-video');
    try {
      await waitIn(v, 'video record', () => Object.values(window.__peerconnect?.media ?? {}).some((m) => m.url.endsWith('/demo.webm') && m.state !== 'loading'), null, MEDIA_TIMEOUT_MS);
      const record = Object.values((await surfaceOf(v)).media).find((m) => m.url.endsWith('/demo.webm'));
      assert.equal(record?.state, 'streaming', JSON.stringify(record));
      await v.evaluate(async () => {
        const video = document.querySelector('video') as HTMLVideoElement;
        video.muted = true;
        await video.play().catch(() => undefined);
      }, null);
      await waitIn(v, 'playback', () => (document.querySelector('video')?.currentTime ?? 0) > 0, null, MEDIA_TIMEOUT_MS);
      const seen = await v.evaluate(() => ({
        src: (document.querySelector('video') as HTMLVideoElement).currentSrc,
        controller: navigator.serviceWorker.controller?.scriptURL ?? '',
      }), null);
      assert.match(seen.src, /\/webtorrent\/[0-9a-f]{40}\/demo\.webm$/, 'the element plays the torrent stream');
      assert.match(seen.controller, /\/__p2p\/sw\.min\.js$/);
      await waitIn(v, 'WebRTC pieces', () => Object.values(window.__peerconnect?.media ?? {}).some((m) => m.webrtcBytes > 0), null, MEDIA_TIMEOUT_MS);
      const direct = (app.demo?.accessLog ?? []).filter((e) => e.path === '/media/demo.webm' && e.userAgent?.includes('firefox-video'));
      assert.deepEqual(direct, [], 'the video was not fetched from the origin');
    } finally {
      await v.close();
    }
  });
});

test('firefox: images a single-page app inserts by script — lazy ones parked before Firefox fetches them, then from a Firefox peer when scrolled near, each rendered once', async () => {
  const origin = new SpaOrigin();
  await origin.start();
  try {
    // The origin's log is how this test sees every HTTP image load: no edge cache between them.
    await withProxy({ ORIGIN: origin.url, P2P_THRESHOLD: '1', EDGE_CACHE: 'off' }, async (app) => {
      const inserted = (): boolean => document.body.dataset.view === 'home';
      const lazy = Array.from({ length: HOME - EAGER }, (_, i) => `/images/photo-${String(EAGER + i + 1).padStart(2, '0')}.png`);
      const first = await open('firefox', new URL('/', app.url).href, 'ff-spa-1');
      const second = await (async () => {
        try {
          await waitIn(first, 'view', inserted, null);
          await settle(first);
          await waitIn(first, 'holdings', (n) => (window.__peerconnect?.held.length ?? 0) >= n, HOME);
          return await open('firefox', new URL('/', app.url).href, 'ff-spa-2');
        } catch (err) {
          await first.close();
          throw err;
        }
      })();
      try {
        await waitIn(second, 'view', inserted, null);
        await waitIn(second, 'eager images', (n) => [...document.querySelectorAll('#app img')].slice(0, n).every((img) => (img as HTMLImageElement).naturalWidth > 0), EAGER);
        assert.deepEqual(origin.images('ff-spa-2').filter((p) => lazy.includes(p)), [], 'no lazy image from the origin before scrolling');
        await settle(second);
        await waitIn(second, 'peer records', (n) => Object.values(window.__peerconnect?.assets ?? {}).filter((r) => r.source === 'peer').length >= n, lazy.length);
        const s = await surfaceOf(second);
        const fromPeers = Object.values(s.assets).filter((r) => r.source === 'peer' && !r.fallback).map((r) => new URL(r.url).pathname).sort();
        assert.deepEqual(fromPeers, [...lazy].sort(), 'every lazy script-inserted image from the first visitor');
        const loads = await second.evaluate(() => [...document.querySelectorAll<HTMLImageElement>('#app img')].map((img) => Number(img.dataset.loads ?? 0)), null);
        assert.deepEqual(loads.filter((n) => n !== 1), [], 'each image rendered once');
        assert.equal(origin.images('ff-spa-2').length, EAGER, 'only the eager images came from the origin');
      } finally {
        await second.close();
        await first.close();
      }
    });
  } finally {
    await origin.close();
  }
});
