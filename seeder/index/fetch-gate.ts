/**
 * A global limit on concurrent origin fetches. Manifests, webseed refills and
 * the seeder all index through it, so a flood of distinct URLs queues here
 * instead of opening hundreds of origin connections; the queue itself is
 * bounded, and what does not fit is refused at once (the browser falls back
 * to HTTP for that asset).
 */
export class FetchGateFullError extends Error {
  constructor() {
    super('too many origin fetches waiting');
    this.name = 'FetchGateFullError';
  }
}

export interface FetchGateOptions {
  /** Origin fetches running at once. */
  maxConcurrent: number;
  /** Fetches waiting for a slot; one more is refused. */
  maxQueued: number;
}

export class FetchGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: FetchGateOptions) {}

  /** Runs `task` when a slot is free; rejects with FetchGateFullError when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.maxConcurrent) {
      if (this.waiting.length >= this.options.maxQueued) throw new FetchGateFullError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never dips and refills.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
