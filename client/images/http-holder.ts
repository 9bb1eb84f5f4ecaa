import { assetTagOf, imagePainted } from '../dom/media-elements.js';
import { sha256Hex } from '../utils/sha256.js';
import type { Services } from '../services.js';

/** Give up waiting for an HTTP image to load after this. */
export const HTTP_LOAD_WAIT_MS = 30_000;
/** Reading the bytes back from the HTTP cache may take at most this. */
const CACHE_READ_TIMEOUT_MS = 10_000;

/**
 * Images the browser loaded over HTTP (mode `http` in their `data-p2p` tag, and fallbacks):
 * counts them as server bytes, reads their bytes back from the HTTP cache,
 * verifies them against the manifest and announces them, so this visitor
 * becomes a holder for later ones.
 */
export class HttpHolder {
  private readonly adopted = new WeakSet<HTMLImageElement>();

  constructor(private readonly s: Services) {}

  /** `report` is false for fallbacks, which the peer loader already reported. */
  async adopt(img: HTMLImageElement, report = true): Promise<void> {
    if (this.adopted.has(img)) return;
    this.adopted.add(img);
    const loaded = await Promise.race([
      imagePainted(img),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), HTTP_LOAD_WAIT_MS)),
    ]);
    if (!loaded) return;
    const url = img.currentSrc || img.src;
    if (!url || url.startsWith('blob:') || url.startsWith('data:')) return;
    const entry = await this.s.manifest.lookup(url);
    if (report) {
      const id = entry.id ?? assetTagOf(img)?.id ?? 'unknown';
      this.s.reporter.record({ id, url, source: 'server', bytes: entry.size ?? transferSize(url), ms: loadTime(url) });
    }
    if (!entry.id || !entry.sha256 || entry.p2p === false || this.s.store.has(entry.id)) return;
    const bytes = await readFromCache(url);
    if (!bytes || bytes.byteLength !== entry.size || (await sha256Hex(bytes)) !== entry.sha256) return;
    this.s.store.put({ id: entry.id, url, bytes, type: entry.contentType ?? '' });
    this.s.announce([entry.id]);
  }
}

/** The image's bytes from the HTTP cache (the browser just stored them); network only if evicted. */
async function readFromCache(url: string): Promise<Uint8Array | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CACHE_READ_TIMEOUT_MS);
  try {
    const res = await fetch(url, { cache: 'force-cache', credentials: 'same-origin', signal: controller.signal });
    if (!res.ok) return undefined;
    return new Uint8Array(await res.arrayBuffer());
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function resourceEntry(url: string): PerformanceResourceTiming | undefined {
  const entries = performance.getEntriesByName(url, 'resource') as PerformanceResourceTiming[];
  return entries[0];
}

/** When the image's response ended (ms since navigation), else now. */
function loadTime(url: string): number {
  const entry = resourceEntry(url);
  return entry && entry.responseEnd > 0 ? entry.responseEnd : performance.now();
}

function transferSize(url: string): number {
  return resourceEntry(url)?.encodedBodySize ?? 0;
}
