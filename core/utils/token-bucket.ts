/**
 * A token bucket: `capacity` tokens, refilled at `ratePerSec`. The one rate
 * limiter behind signaling messages, report beacons and the seeder's upload
 * budget. Time is passed in so tests need no clock.
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
    this.refill(now);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Milliseconds until `cost` tokens are there (0 when they are now). */
  msUntil(now: number, cost = 1): number {
    this.refill(now);
    return this.tokens >= cost ? 0 : ((cost - this.tokens) / this.ratePerSec) * 1000;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSec) / 1000);
  }
}
