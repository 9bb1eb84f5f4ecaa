import { TokenBucket } from '../../core/utils/token-bucket.js';

/** The bucket always holds at least a few frames, so a tiny budget slows senders instead of stalling them. */
const MIN_BURST_BYTES = 64 * 1024;

/**
 * The seeder's upload budget (a TokenBucket): `bytesPerSec` refill, one second of burst
 * (at least MIN_BURST_BYTES).
 * Senders ask for a grant before each frame and wait `delayMs` when it is refused,
 * so the seeder never takes more than its share from the proxy's HTTP serving.
 */
export class UploadBudget {
  private readonly bucket: TokenBucket;

  constructor(readonly bytesPerSec: number, private readonly now: () => number = () => performance.now()) {
    this.bucket = new TokenBucket(Math.max(bytesPerSec, MIN_BURST_BYTES), bytesPerSec, now());
  }

  /** Takes `bytes` when available and returns 0; otherwise returns the ms to wait before asking again. */
  take(bytes: number): number {
    const now = this.now();
    if (this.bucket.take(now, bytes)) return 0;
    return Math.max(1, Math.ceil(this.bucket.msUntil(now, bytes)));
  }
}
