import type { ManifestEntry } from '../../protocol/manifest.js';
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
    if (!this.holdable(entry)) return;
    // The browser just stored the bytes in its HTTP cache; the network only if they were evicted.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), CACHE_READ_TIMEOUT_MS);
    const http = await fetchImage(url, controller.signal, 'force-cache').finally(() => clearTimeout(timer));
    if (http) await this.hold(url, entry, http);
  }

  /**
   * Holds and announces an image's bytes fetched over HTTP (read back from the
   * cache, or a hedge's HTTP leg) when they match the manifest entry.
   */
  async hold(url: string, entry: ManifestEntry | undefined, http: HttpBytes): Promise<void> {
    if (!this.holdable(entry)) return;
    if (http.bytes.byteLength !== entry.size || (await sha256Hex(http.bytes)) !== entry.sha256) return;
    this.s.store.put({ id: entry.id, url, bytes: http.bytes, type: entry.contentType ?? http.type });
    this.s.announce([entry.id]);
  }

  /** An entry peers may share that this visitor does not hold yet. */
  private holdable(entry: ManifestEntry | undefined): entry is ManifestEntry & { id: string; sha256: string } {
    return !!entry?.id && !!entry.sha256 && entry.p2p !== false && !this.s.store.has(entry.id);
  }
}

/** An image's bytes and content type as fetched over HTTP. */
export interface HttpBytes {
  bytes: Uint8Array;
  type: string;
}

/**
 * An image's bytes over HTTP (`cache`: how the browser's HTTP cache is used),
 * or undefined on any failure or abort.
 */
export async function fetchImage(url: string, signal: AbortSignal, cache?: RequestCache): Promise<HttpBytes | undefined> {
  try {
    const res = await fetch(url, { credentials: 'same-origin', signal, ...(cache ? { cache } : {}) });
    if (!res.ok) return undefined;
    return { bytes: new Uint8Array(await res.arrayBuffer()), type: res.headers.get('content-type') ?? '' };
  } catch {
    return undefined;
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
