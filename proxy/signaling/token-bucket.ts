/**
 * Per-socket message rate limit: `capacity` tokens, refilled at `ratePerSec`.
 * Time is passed in so tests need no clock.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly capacity: number, private readonly ratePerSec: number, now: number) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes `cost` tokens if there are enough; false means over the limit. */
  take(now: number, cost = 1): boolean {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSec) / 1000);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
