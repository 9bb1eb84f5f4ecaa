/**
 * How long a peer link may take to connect (ICE + DTLS + channel open) before
 * the client gives up on it. Browsers' own ICE failure is far too slow for
 * images: with symmetric NATs and STUN only, Chromium's connectionState turns
 * `failed` after about 15 s (iceConnectionState never does).
 */

/** Deadline × the signaling round trip measured at welcome. A connect costs a handful of round trips (offer/answer relay, checks, DTLS, SCTP); this leaves room for retransmits. */
export const ICE_DEADLINE_RTT_FACTOR = 10;
/** Never less: loopback round trips are near zero, but a busy machine still needs time to gather and handshake. */
export const ICE_DEADLINE_MIN_MS = 2_500;
/** Never more: past this, HTTP serves the page better than waiting. */
export const ICE_DEADLINE_MAX_MS = 10_000;
/** Used while no round trip has been measured. */
export const ICE_DEADLINE_DEFAULT_MS = 5_000;

/**
 * The ICE deadline for a measured signaling round trip (from opening the socket
 * to `welcome`: TCP and upgrade handshakes, so at least two network round trips,
 * which errs on the long side). Missing or nonsense measurements get the default.
 */
export function iceDeadlineMs(rttMs?: number): number {
  if (rttMs === undefined || !Number.isFinite(rttMs) || rttMs < 0) return ICE_DEADLINE_DEFAULT_MS;
  return Math.min(ICE_DEADLINE_MAX_MS, Math.max(ICE_DEADLINE_MIN_MS, Math.round(rttMs * ICE_DEADLINE_RTT_FACTOR)));
}
