import type { SignalErrorCode } from '../../protocol/signal-messages.js';

/** Abuse tolerated before the socket is closed (policy violation). */
export const MAX_STRIKES = 16;
/** One strike is forgiven per interval, so honest races (a holder that just left) never add up. */
export const STRIKE_DECAY_MS = 30_000;

/** Why one message was refused: answered to the peer as an `error` and counted as a strike. */
export interface MessageRefusal {
  reason: SignalErrorCode;
  message: string;
}

export type StrikeVerdict = 'answer' | 'close';

/**
 * Strikes of one session. Each refused message adds one; whole decay intervals
 * since the previous strike are forgiven first, so only sustained abuse reaches
 * MAX_STRIKES. Time is passed in so tests need no clock.
 */
export class StrikeCounter {
  private count = 0;
  private lastAt: number | undefined;

  get strikes(): number {
    return this.count;
  }

  /** Adds one strike at `now`: `close` once the session has MAX_STRIKES, else `answer` with the error. */
  add(now: number): StrikeVerdict {
    const forgiven = Math.floor((now - (this.lastAt ?? now)) / STRIKE_DECAY_MS);
    this.count = Math.max(0, this.count - forgiven) + 1;
    this.lastAt = now;
    return this.count >= MAX_STRIKES ? 'close' : 'answer';
  }
}
