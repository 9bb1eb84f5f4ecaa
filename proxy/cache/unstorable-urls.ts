import { LRUCache } from 'lru-cache';
import type { Perf } from 'lru-cache';
import type { NotStoredReason } from './cache-policy.js';

/** URLs remembered as unstorable at once; the least recently noted goes first. */
const MAX_UNSTORABLE_URLS = 10_000;
/** How long a URL stays known unstorable: short, since the origin may change its headers or fix a status. */
export const UNSTORABLE_TTL_MS = 60_000;

/**
 * Reasons that describe what the origin answers for the URL. Left out: `credentials`
 * (about this request only; the same URL without cookies may be storable),
 * `store-error` and `origin-error` (passing failures).
 */
const URL_REASONS: ReadonlySet<NotStoredReason> = new Set(['status', 'no-store', 'private', 'set-cookie', 'vary', 'type', 'too-large', 'not-storable']);

/**
 * A short, bounded memory of URLs whose last origin response the cache could
 * not store (no-store, private, Set-Cookie, Vary, too big, a 404…). A miss on
 * such a URL goes straight to the forwarder, so e.g. every Range seek into a
 * large uncacheable video does not start another full background fill.
 */
export class UnstorableUrls {
  private readonly urls: LRUCache<string, NotStoredReason>;

  constructor(options: { ttlMs?: number; max?: number; perf?: Perf } = {}) {
    this.urls = new LRUCache<string, NotStoredReason>({
      max: options.max ?? MAX_UNSTORABLE_URLS,
      ttl: options.ttlMs ?? UNSTORABLE_TTL_MS,
      // A clock handed in (tests) is read on every lookup, not cached for a millisecond of real time.
      ...(options.perf ? { perf: options.perf, ttlResolution: 0 } : {}),
    });
  }

  /**
   * Notes the outcome for a URL when it says something about the URL itself:
   * not a `no-store` the visitor asked for, not a server error or throttling
   * status (the next answer may well be storable).
   */
  note(urlKey: string, reason: NotStoredReason, context: { status: number; requestNoStore: boolean }): void {
    if (!URL_REASONS.has(reason)) return;
    if (reason === 'no-store' && context.requestNoStore) return;
    if (reason === 'status' && (context.status >= 500 || context.status === 408 || context.status === 429)) return;
    this.urls.set(urlKey, reason);
  }

  /** The reason noted for a URL within the TTL, if any. */
  reason(urlKey: string): NotStoredReason | undefined {
    return this.urls.get(urlKey);
  }

  delete(urlKey: string): void {
    this.urls.delete(urlKey);
  }

  /** Forgets every URL the predicate matches (a purge: the operator expects the next request to try again). */
  forget(matches: (urlKey: string) => boolean): void {
    for (const key of [...this.urls.keys()]) if (matches(key)) this.urls.delete(key);
  }

  clear(): void {
    this.urls.clear();
  }

  get size(): number {
    return this.urls.size;
  }
}
