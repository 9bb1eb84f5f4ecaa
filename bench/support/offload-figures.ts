// Figures the browser benchmarks share: how a visitor's page is settled and read,
// offload against the theoretical maximum, time-to-image by kind of delivery and
// fallbacks by reason. bench/offload.bench.ts (loopback) and
// bench/internet.bench.ts (emulated internet) compute them the same way.
import type { Page } from 'playwright-core';
import type { DebugSurface } from '../../client/report/reporter.js';
import { imageStates, scrollThrough, surface, waitForHeld, waitForImagesPainted } from '../../test/helpers/p2p-page.js';

/** One visitor's page once settled: its debugging surface and what it painted. */
export interface Arrival { i: number; s: DebugSurface; broken: number; tagged: number }

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))] as number;
}

export function fmt(n: number): string {
  return Number.isFinite(n) ? n.toFixed(0) : 'n/a';
}

/** Scrolls, waits (bounded) for every image, every record and every holding, then reads the page. */
export async function settle(page: Page, timeoutMs: number): Promise<Omit<Arrival, 'i'>> {
  await scrollThrough(page);
  await waitForImagesPainted(page, timeoutMs).catch(() => undefined);
  const states = await imageStates(page);
  const tagged = states.filter((img) => img.id !== null);
  const distinct = new Set(tagged.map((img) => img.id)).size;
  await page.waitForFunction((n) => Object.keys(window.__peerconnect?.assets ?? {}).length >= n, distinct, { timeout: timeoutMs }).catch(() => undefined);
  await waitForHeld(page, distinct, timeoutMs).catch(() => undefined);
  return { s: await surface(page), broken: states.filter((img) => img.width === 0 || img.parked).length, tagged: distinct };
}

/** Time-to-image of the visitors after the first `threshold` (`later`) or of the first ones, by kind of delivery. */
export function times(results: Arrival[], threshold: number, later: boolean): { p2p: number[]; http: number[] } {
  const out = { p2p: [] as number[], http: [] as number[] };
  for (const r of results) {
    if (later !== r.i > threshold) continue;
    for (const a of Object.values(r.s.assets)) {
      if (a.ms === undefined) continue;
      if (a.source === 'peer' || a.source === 'seeder') out.p2p.push(a.ms);
      else if (!a.fallback) out.http.push(a.ms);
    }
  }
  return out;
}

export interface Delivery {
  /** Image bytes by source, as the browsers counted them. */
  bytes: { peer: number; seeder: number; server: number; webseed: number };
  fallbacks: Record<string, number>;
  broken: number;
  /** (peer + seeder) / (peer + seeder + server). */
  offload: number;
  /** The best any run can do: the first `threshold` visitors must use HTTP, (N−T)/N. */
  maximum: number;
}

export function delivery(results: Arrival[], threshold: number): Delivery {
  const bytes = { peer: 0, seeder: 0, server: 0, webseed: 0 };
  const fallbacks: Record<string, number> = {};
  let broken = 0;
  for (const r of results) {
    broken += r.broken;
    for (const a of Object.values(r.s.assets)) {
      bytes[a.source] += a.bytes;
      if (a.fallback) fallbacks[a.fallback] = (fallbacks[a.fallback] ?? 0) + 1;
    }
  }
  const total = bytes.peer + bytes.seeder + bytes.server;
  const n = results.length;
  return { bytes, fallbacks, broken, offload: total > 0 ? (bytes.peer + bytes.seeder) / total : 0, maximum: n > 0 ? (n - threshold) / n : 0 };
}
