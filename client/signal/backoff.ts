/** First reconnect waits up to this (full jitter: anywhere in [0, ceiling)). */
export const RECONNECT_BASE_MS = 500;
/** The ceiling stops doubling here. */
export const RECONNECT_CAP_MS = 15_000;
/**
 * Reconnects tried in a row before the page gives up on signaling (about a
 * minute on average at these base and cap values); a session that stayed up
 * RECONNECT_STABLE_MS starts the count again.
 */
export const RECONNECT_MAX_ATTEMPTS = 10;
/** A session must last this long to count as a success that resets the attempt count. */
export const RECONNECT_STABLE_MS = 10_000;

/**
 * Delay before reconnect number `attempt` (0-based): "full jitter", a uniform
 * draw below min(cap, base·2^attempt), so pages cut off together by one
 * signaling restart do not all come back in the same instant.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** attempt));
}
