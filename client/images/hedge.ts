/**
 * Hedged fallback: when an image's first peer byte is late, HTTP starts too and
 * whichever completes first is painted. "Late" is measured against this
 * visitor's own HTTP timings, so a far or busy origin leaves peers more time.
 */

/**
 * Never hedge sooner than this: a link that is still connecting needs a few
 * round trips, and each hedge costs origin bytes (measured on loopback: image
 * start to first peer byte 450–600 ms median, p95 above 1 s on a loaded machine).
 */
export const HEDGE_MIN_MS = 1_000;
/** The hedge delay is this many times the visitor's typical HTTP image time. */
export const HEDGE_FACTOR = 3;
/** HTTP image timings kept for the estimate (the most recent ones). */
const MAX_SAMPLES = 32;

/**
 * How long to wait for an image's first peer byte before starting HTTP too, or
 * undefined for never. `overrideMs` is `P2P_HEDGE_MS` (0: never hedge); without
 * it: HEDGE_FACTOR × the median of `httpMs` (this visitor's HTTP load times),
 * at least HEDGE_MIN_MS and at most `ceilingMs` (the per-image stall deadline,
 * after which the image falls back anyway).
 */
export function hedgeDelayMs(overrideMs: number | undefined, httpMs: readonly number[], ceilingMs: number): number | undefined {
  if (overrideMs !== undefined) return overrideMs > 0 ? overrideMs : undefined;
  const samples = httpMs.filter((ms) => Number.isFinite(ms) && ms >= 0).slice(-MAX_SAMPLES);
  const typical = samples.length > 0 ? median(samples) : 0;
  return Math.min(Math.max(HEDGE_FACTOR * typical, HEDGE_MIN_MS), Math.max(ceilingMs, HEDGE_MIN_MS));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * This visitor's HTTP timings on this page (Resource Timing): same-origin image
 * loads, else the page itself (its HTML is the one HTTP exchange every visitor
 * has made). Durations in ms, request start to response end.
 */
export function httpTimings(perf: Performance, origin: string): number[] {
  const images: number[] = [];
  for (const entry of perf.getEntriesByType('resource') as PerformanceResourceTiming[]) {
    if (entry.initiatorType !== 'img' || entry.responseEnd <= 0 || !entry.name.startsWith(origin)) continue;
    images.push(entry.responseEnd - entry.startTime);
  }
  if (images.length > 0) return images;
  const nav = perf.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  return nav && nav.responseEnd > 0 ? [nav.responseEnd - nav.requestStart] : [];
}
