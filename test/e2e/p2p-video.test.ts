import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../proxy/app.js';
import type { MediaRecord } from '../../client/report/reporter.js';
import { launchBrowser } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { surface, visit, type Visitor } from '../helpers/p2p-page.js';
import { TrackerProcess } from '../seeder/tracker-process.js';

/** Bound for streaming to start, a download to finish, a seek to land. */
const MEDIA_TIMEOUT_MS = 30_000;

let browser: Browser;
let app: RunningApp;
const visitors: Visitor[] = [];
/** Started by the P2P_TRACKER_URL test only. */
let tracker: TrackerProcess | undefined;
let trackedApp: RunningApp | undefined;

before(async () => {
  browser = await launchBrowser();
  app = await startProxy({ P2P_THRESHOLD: '0', SEEDER_MODE: 'embedded' });
});

after(async () => {
  for (const v of visitors) await v.context.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
  await trackedApp?.close();
  await tracker?.stop();
});

async function videoRecord(page: Page): Promise<MediaRecord> {
  await page.waitForFunction(() => Object.values(window.__peerconnect?.media ?? {}).some((m) => m.url.endsWith('/demo.webm') && m.state !== 'loading'), undefined, { timeout: MEDIA_TIMEOUT_MS });
  const record = Object.values((await surface(page)).media).find((m) => m.url.endsWith('/demo.webm'));
  assert.ok(record);
  return record;
}

async function play(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const video = document.querySelector('video') as HTMLVideoElement;
    video.muted = true;
    await video.play();
  });
  await page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 0, undefined, { timeout: MEDIA_TIMEOUT_MS });
}

test('video: A streams from the seeder (WebRTC + webseed), B receives pieces over WebRTC and seeks to the middle', async () => {
  const pageUrl = new URL('/video.html', app.url).href;
  const a = await visit(browser, pageUrl, 'video-a');
  visitors.push(a);
  const recordA = await videoRecord(a.page);
  assert.equal(recordA.state, 'streaming', `A streams through WebTorrent (${JSON.stringify(recordA)})`);
  await play(a.page);
  const video = await a.page.evaluate(() => {
    const el = document.querySelector('video') as HTMLVideoElement;
    return { src: el.currentSrc, poster: el.getAttribute('poster'), controller: navigator.serviceWorker.controller?.scriptURL ?? '' };
  });
  assert.match(video.src, /\/webtorrent\/[0-9a-f]{40}\/demo\.webm$/, 'the element plays the torrent stream');
  assert.equal(video.poster, '/images/poster.png', 'poster kept');
  assert.match(video.controller, /\/__p2p\/sw\.min\.js$/);
  // A finishes the download, so it can seed B.
  await a.page.waitForFunction(() => {
    const m = Object.values(window.__peerconnect?.media ?? {}).find((r) => r.url.endsWith('/demo.webm'));
    return m !== undefined && m.webrtcBytes + m.webseedBytes > 0 && document.querySelector('video')!.buffered.length > 0
      && document.querySelector('video')!.buffered.end(document.querySelector('video')!.buffered.length - 1) >= document.querySelector('video')!.duration - 0.5;
  }, undefined, { timeout: MEDIA_TIMEOUT_MS, polling: 200 });

  const b = await visit(browser, pageUrl, 'video-b');
  visitors.push(b);
  assert.equal((await videoRecord(b.page)).state, 'streaming');
  await play(b.page);
  const seek = await b.page.evaluate(async () => {
    const el = document.querySelector('video') as HTMLVideoElement;
    const target = el.duration / 2;
    await new Promise<void>((resolve) => {
      el.addEventListener('seeked', () => resolve(), { once: true });
      el.currentTime = target;
    });
    return { target, duration: el.duration };
  });
  await b.page.waitForFunction((t) => {
    const el = document.querySelector('video') as HTMLVideoElement;
    return el.readyState >= 3 && el.currentTime >= t;
  }, seek.target, { timeout: MEDIA_TIMEOUT_MS });
  await b.page.waitForTimeout(1_500); // one stats interval, so the wire counters are copied
  const recordB = Object.values((await surface(b.page)).media).find((m) => m.url.endsWith('/demo.webm'));
  assert.ok(recordB);
  assert.ok(recordB.webrtcPeers >= 1, 'B has WebRTC wires');
  assert.ok(recordB.webrtcBytes > 0, `B received pieces over WebRTC (${JSON.stringify(recordB)})`);

  // Neither visitor fetched the video from the origin itself.
  const direct = app.demo?.accessLog.filter((e) => e.path === '/media/demo.webm' && /video-[ab]/.test(e.userAgent ?? '')) ?? [];
  assert.deepEqual(direct, []);
});

test('video with P2P_TRACKER_URL: Chromium streams from the seeder it meets on a tracker in its own process', async () => {
  tracker = await TrackerProcess.start();
  trackedApp = await startProxy({ P2P_THRESHOLD: '0', SEEDER_MODE: 'embedded', P2P_TRACKER_URL: tracker.url });
  const c = await visit(browser, new URL('/video.html', trackedApp.url).href, 'video-c');
  visitors.push(c);
  const config = await c.page.evaluate(() => JSON.parse(document.getElementById('__p2p-config')?.textContent ?? '{}') as { trackerUrl?: string });
  assert.equal(config.trackerUrl, tracker.url, 'the page config names the external tracker');
  const record = await videoRecord(c.page);
  assert.equal(record.state, 'streaming', `C streams through WebTorrent (${JSON.stringify(record)})`);
  await play(c.page);
  // The only WebRTC peer C can meet is the embedded seeder, and only through the external tracker.
  await c.page.waitForFunction(() => Object.values(window.__peerconnect?.media ?? {}).some((m) => m.url.endsWith('/demo.webm') && m.webrtcPeers >= 1), undefined, { timeout: MEDIA_TIMEOUT_MS, polling: 200 });
  const announcers = new Set(tracker.announces().filter((fact) => fact.infoHash === record.infoHash).map((fact) => fact.peerId));
  assert.ok(announcers.size >= 2, `the seeder and C announced to the external tracker (${announcers.size} peer(s))`);
});
