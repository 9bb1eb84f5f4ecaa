/** First reconnect waits up to this (full jitter: anywhere in [0, ceiling)). */
export const RECONNECT_BASE_MS = 500;
/**
 * First ceiling after a session that was up ends. A signaling restart drops
 * every page at the same instant; drawing their first retry over 10 s (not
 * 500 ms) keeps any one second to about a tenth of them (measured in
 * test/client/reconnect-spread.integration.ts with 500 clients).
 */
export const RECONNECT_SPREAD_MS = 10_000;
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
 * signaling restart do not all come back in the same instant. `baseMs` is
 * RECONNECT_BASE_MS while no session has been up yet, RECONNECT_SPREAD_MS
 * after one was lost.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random, baseMs: number = RECONNECT_BASE_MS): number {
  return Math.floor(random() * Math.min(RECONNECT_CAP_MS, baseMs * 2 ** attempt));
}
