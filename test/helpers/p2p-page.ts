import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DebugSurface } from '../../client/report/reporter.js';
import { newVisitor } from './browser.js';

/** Upper bound for one page to settle (images painted, holdings announced). */
export const PAGE_SETTLE_TIMEOUT_MS = 20_000;

export interface Visitor {
  context: BrowserContext;
  page: Page;
  /** User agent marker, so the origin's access log tells visitors apart. */
  agent: string;
}

/** A fresh browser context with its own user agent tag, on `url`. */
export async function visit(browser: Browser, url: string, agent: string, prepare?: (context: BrowserContext) => Promise<void>): Promise<Visitor> {
  const context = await newVisitor(browser);
  await context.setExtraHTTPHeaders({ 'user-agent': `Mozilla/5.0 PeerConnectTest ${agent}` });
  await prepare?.(context);
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load', timeout: PAGE_SETTLE_TIMEOUT_MS });
  return { context, page, agent };
}

export function surface(page: Page): Promise<DebugSurface> {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.__peerconnect ?? null)) as DebugSurface);
}

/** Scrolls to the bottom and back so lazy images come near the viewport. */
export async function scrollThrough(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (let y = 0; y <= document.body.scrollHeight; y += 400) {
      window.scrollTo(0, y);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    window.scrollTo(0, 0);
  });
}

export interface ImageState {
  id: string | null;
  mode: string | null;
  src: string;
  currentSrc: string;
  complete: boolean;
  width: number;
  parked: boolean;
}

/** Runs in the page (self-contained, so Playwright and Puppeteer can both serialise it). */
export function readImageStates(): ImageState[] {
  return [...document.querySelectorAll('img')].map((img) => ({
    // `data-p2p` is `<id>.<kind>.<mode>` (inlined: this runs in the page).
    id: img.getAttribute('data-p2p')?.split('.')[0] ?? null,
    mode: img.getAttribute('data-p2p')?.split('.')[2] ?? null,
    src: img.getAttribute('src') ?? '',
    currentSrc: img.currentSrc,
    complete: img.complete,
    width: img.naturalWidth,
    parked: img.hasAttribute('data-p2p-src') || img.hasAttribute('data-p2p-srcset'),
  }));
}

export function imageStates(page: Page): Promise<ImageState[]> {
  return page.evaluate(readImageStates);
}

/** Waits until every `<img>` on the page has painted (naturalWidth > 0); bounded. */
export async function waitForImagesPainted(page: Page, timeoutMs = PAGE_SETTLE_TIMEOUT_MS): Promise<void> {
  await page.waitForFunction(() => [...document.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0), undefined, { timeout: timeoutMs, polling: 100 });
}

/** Waits until the client holds `count` verified assets (it announced them to signaling). */
export async function waitForHeld(page: Page, count: number, timeoutMs = PAGE_SETTLE_TIMEOUT_MS): Promise<void> {
  await page.waitForFunction((n) => (window.__peerconnect?.held.length ?? 0) >= n, count, { timeout: timeoutMs, polling: 100 });
}

/**
 * SHA-256 of each painted image's decoded RGBA pixels, keyed by its original
 * URL (blob URLs are mapped back through the client's per-asset records).
 * Pages on plain http:// other than localhost have no `crypto.subtle`: there the
 * pixels come back to Node to be hashed.
 */
export async function pixelDigests(page: Page): Promise<Record<string, string>> {
  const pixels = await page.evaluate(async () => {
    const out: Record<string, string> = {};
    const blobs = window.__peerconnect?.blobs ?? {};
    const subtle = globalThis.crypto?.subtle;
    for (const img of document.querySelectorAll('img')) {
      if (!img.complete || img.naturalWidth === 0) continue;
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d');
      if (!ctx) continue;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let url = img.currentSrc;
      if (url.startsWith('blob:')) url = blobs[url] ?? url;
      const key = new URL(url).pathname;
      if (subtle) {
        const digest = new Uint8Array(await subtle.digest('SHA-256', data));
        out[key] = 'sha256:' + [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
        continue;
      }
      let text = '';
      for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
      out[key] = 'base64:' + btoa(text);
    }
    return out;
  });
  const digests: Record<string, string> = {};
  for (const [key, value] of Object.entries(pixels)) {
    digests[key] = value.startsWith('sha256:') ? value.slice(7) : createHash('sha256').update(Buffer.from(value.slice(7), 'base64')).digest('hex');
  }
  return digests;
}
