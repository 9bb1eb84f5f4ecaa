import { LRUCache } from 'lru-cache';

export interface RateLimiterOptions {
  /** Requests a client may send in a burst. */
  burst: number;
  /** Tokens added back per second. */
  perSecond: number;
  /** Clients remembered at once; the least recently seen are forgotten first. */
  maxClients: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token bucket per client address. The map is bounded: a flood from many
 * addresses evicts old buckets instead of growing memory (a forgotten client
 * simply starts again with a full bucket).
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.buckets = new LRUCache({ max: options.maxClients });
    this.now = options.now ?? Date.now;
  }

  /** Takes one token for `key`; false when the client is over its rate. */
  take(key: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.options.burst, updated: now };
      this.buckets.set(key, bucket);
    }
    const refill = ((now - bucket.updated) / 1000) * this.options.perSecond;
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + refill);
    bucket.updated = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Seconds until `key` has a token again (for Retry-After). */
  retryAfterSeconds(key: string): number {
    const bucket = this.buckets.peek(key);
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.ceil((1 - bucket.tokens) / this.options.perSecond);
  }

  get size(): number {
    return this.buckets.size;
  }
}
