/**
 * The last `capacity` samples in a ring buffer, for medians and percentiles of a
 * recent window without unbounded memory.
 */
export class SampleWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError('capacity must be a positive integer');
    this.samples = new Float64Array(capacity);
  }

  add(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  get count(): number {
    return this.filled;
  }

  /** Nearest-rank quantiles (q in [0, 1]) of the window; undefined when empty. */
  quantiles(qs: readonly number[]): (number | undefined)[] {
    if (this.filled === 0) return qs.map(() => undefined);
    const sorted = Array.from(this.samples.subarray(0, this.filled)).sort((a, b) => a - b);
    return qs.map((q) => {
      const rank = Math.max(1, Math.ceil(q * sorted.length));
      return sorted[Math.min(rank, sorted.length) - 1];
    });
  }
}
