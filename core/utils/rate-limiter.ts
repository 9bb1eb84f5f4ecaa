import { LRUCache } from 'lru-cache';
import { TokenBucket } from './token-bucket.js';

export interface RateLimiterOptions {
  /** Requests a client may send in a burst. */
  burst: number;
  /** Tokens added back per second. */
  perSecond: number;
  /** Clients remembered at once; the least recently seen are forgotten first. */
  maxClients: number;
  now?: () => number;
}

/**
 * Token bucket per client address. The map is bounded: a flood from many
 * addresses evicts old buckets instead of growing memory (a forgotten client
 * simply starts again with a full bucket).
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, TokenBucket>;
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.buckets = new LRUCache({ max: options.maxClients });
    this.now = options.now ?? Date.now;
  }

  /** Takes `cost` tokens for `key`; false when the client is over its rate. */
  take(key: string, cost = 1): boolean {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.options.burst, this.options.perSecond, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now, cost);
  }

  /** Seconds until `key` has `cost` tokens again (for Retry-After). */
  retryAfterSeconds(key: string, cost = 1): number {
    const bucket = this.buckets.peek(key);
    return bucket ? Math.ceil(bucket.msUntil(this.now(), cost) / 1000) : 0;
  }

  get size(): number {
    return this.buckets.size;
  }
}
