/**
 * Token bucket for the seeder's upload: `bytesPerSec` refill, one second of burst
 * (at least MIN_BURST_BYTES).
 * Senders ask for a grant before each frame and wait `delayMs` when it is refused,
 * so the seeder never takes more than its share from the proxy's HTTP serving.
 */
/** The bucket always holds at least a few frames, so a tiny budget slows senders instead of stalling them. */
const MIN_BURST_BYTES = 64 * 1024;

export class UploadBudget {
  private readonly capacity: number;
  private tokens: number;
  private last: number;

  constructor(readonly bytesPerSec: number, private readonly now: () => number = () => performance.now()) {
    this.capacity = Math.max(bytesPerSec, MIN_BURST_BYTES);
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Takes `bytes` when available and returns 0; otherwise returns the ms to wait before asking again. */
  take(bytes: number): number {
    this.refill();
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return 0;
    }
    return Math.max(1, Math.ceil(((bytes - this.tokens) / this.bytesPerSec) * 1000));
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.bytesPerSec);
    this.last = t;
  }
}
