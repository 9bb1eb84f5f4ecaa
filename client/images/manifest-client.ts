import { isAssetId } from '../../protocol/asset-id.js';
import type { ConfigAsset } from '../../protocol/client-config.js';
import { MAX_MANIFEST_URLS, type ManifestEntry, type ManifestResponse } from '../../protocol/manifest.js';

/** A manifest request that takes longer than this counts as failed. */
export const MANIFEST_TIMEOUT_MS = 3_000;
/** Entries remembered per page (one per media URL). */
const MAX_CACHED_ENTRIES = 1_024;

/**
 * Batched `GET <prefix>/manifest?u=…&u=…`: lookups made in the same task share
 * one request of at most MAX_MANIFEST_URLS URLs. Never rejects: a failure
 * yields an entry with `error`, so callers simply fall back to HTTP.
 */
export class ManifestClient {
  private readonly cache = new Map<string, Promise<ManifestEntry>>();
  /** URLs whose entry came from the page config, not from the manifest route. */
  private readonly seeded = new Set<string>();
  /** Intrinsic image dimensions the page config carries, by absolute URL. */
  private readonly sizes = new Map<string, { width: number; height: number }>();
  private pending: { url: string; resolve(entry: ManifestEntry): void }[] = [];
  private scheduled = false;

  constructor(private readonly endpoint: string) {}

  /**
   * Entries the page's config carries (the proxy's index, as of the page's
   * rewrite): their lookups resolve at once, without a request.
   */
  seed(assets: readonly ConfigAsset[], origin: string): void {
    for (const a of assets) {
      if (this.cache.size >= MAX_CACHED_ENTRIES) return;
      const url = new URL(a.url, origin).href;
      const entry: ManifestEntry = { url, id: a.id, sha256: a.sha256, size: a.size, p2p: true, ...(a.type ? { contentType: a.type } : {}) };
      this.cache.set(url, Promise.resolve(entry));
      this.seeded.add(url);
      if (a.width !== undefined && a.height !== undefined) this.sizes.set(url, { width: a.width, height: a.height });
    }
  }

  /** The intrinsic width and height of the image at `url` (absolute), when the page config carries them. */
  dimensions(url: string): { width: number; height: number } | undefined {
    return this.sizes.get(url);
  }

  /** True when `url`'s entry came from the page config (which a cached page may carry stale). */
  fromPage(url: string): boolean {
    return this.seeded.has(url);
  }

  /** Asks the manifest route again for `url`, whatever is cached. */
  refresh(url: string): Promise<ManifestEntry> {
    this.cache.delete(url);
    this.seeded.delete(url);
    return this.lookup(url);
  }

  lookup(url: string): Promise<ManifestEntry> {
    const cached = this.cache.get(url);
    if (cached) return cached;
    const promise = new Promise<ManifestEntry>((resolve) => {
      this.pending.push({ url, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setTimeout(() => this.flush(), 0);
      }
    });
    if (this.cache.size >= MAX_CACHED_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(url, promise);
    return promise;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += MAX_MANIFEST_URLS) void this.fetchBatch(batch.slice(i, i + MAX_MANIFEST_URLS));
  }

  private async fetchBatch(batch: { url: string; resolve(entry: ManifestEntry): void }[]): Promise<void> {
    const query = batch.map((item) => `u=${encodeURIComponent(item.url)}`).join('&');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), MANIFEST_TIMEOUT_MS);
    let assets: unknown[] = [];
    try {
      const res = await fetch(`${this.endpoint}?${query}`, { signal: controller.signal, credentials: 'same-origin' });
      if (res.ok) {
        const body = (await res.json()) as Partial<ManifestResponse>;
        if (Array.isArray(body.assets)) assets = body.assets;
      }
    } catch {
      // network error or timeout: every entry below gets an error
    } finally {
      clearTimeout(timer);
    }
    batch.forEach((item, i) => {
      const entry = validEntry(assets[i], item.url);
      if (entry.error) this.cache.delete(item.url); // retry on a later lookup
      item.resolve(entry);
    });
  }
}

/** Keeps only well-formed fields of one manifest entry from the network. */
export function validEntry(raw: unknown, url: string): ManifestEntry {
  if (raw === null || typeof raw !== 'object') return { url, error: 'origin-error' };
  const e = raw as Record<string, unknown>;
  const entry: ManifestEntry = { url };
  if (isAssetId(e.id)) entry.id = e.id;
  if (typeof e.contentType === 'string') entry.contentType = e.contentType.slice(0, 128);
  if (typeof e.size === 'number' && Number.isInteger(e.size) && e.size >= 0) entry.size = e.size;
  if (typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) entry.sha256 = e.sha256;
  if (typeof e.infoHash === 'string' && /^[0-9a-f]{40}$/i.test(e.infoHash)) entry.infoHash = e.infoHash.toLowerCase();
  if (typeof e.holders === 'number') entry.holders = e.holders;
  if (typeof e.p2p === 'boolean') entry.p2p = e.p2p;
  if (typeof e.error === 'string') entry.error = e.error as ManifestEntry['error'];
  return entry;
}
