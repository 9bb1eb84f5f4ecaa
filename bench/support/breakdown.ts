// Where one parked image's time goes: the client's timeline marks
// (client/utils/marks.ts) and the page's navigation timing, read from a settled
// page and folded into per-phase medians over many visitors.
import type { BrowserContext, Page } from 'playwright-core';
import { fmt, quantile } from './offload-figures.js';

/** Phases in the order they happen for one image; `key` says what the mark is keyed by. */
export const PHASES: readonly { phase: string; key: 'page' | 'asset' | 'peer' | 'nav'; label: string }[] = [
  { phase: 'responseEnd', key: 'nav', label: 'HTML received' },
  { phase: 'boot', key: 'page', label: 'client script runs' },
  { phase: 'signal-open', key: 'page', label: 'signaling socket open' },
  { phase: 'welcome', key: 'page', label: 'welcome' },
  { phase: 'observed', key: 'asset', label: 'image starts (near viewport)' },
  { phase: 'manifest', key: 'asset', label: 'manifest answered' },
  { phase: 'want', key: 'asset', label: 'want sent' },
  { phase: 'holders', key: 'asset', label: 'holders received' },
  { phase: 'link-created', key: 'peer', label: 'link created' },
  { phase: 'offer-sent', key: 'peer', label: 'offer sent' },
  { phase: 'answer-received', key: 'peer', label: 'answer received' },
  { phase: 'ice-connected', key: 'peer', label: 'ICE connected' },
  { phase: 'dtls-connected', key: 'peer', label: 'DTLS connected' },
  { phase: 'channel-open', key: 'peer', label: 'data channel open' },
  { phase: 'request-sent', key: 'asset', label: 'request sent' },
  { phase: 'first-byte', key: 'asset', label: 'first peer byte' },
  { phase: 'last-byte', key: 'asset', label: 'last peer byte' },
  { phase: 'hashed', key: 'asset', label: 'SHA-256 verified' },
  { phase: 'painted', key: 'asset', label: 'blob painted' },
];

/** Turns on the client's marks in every page of this context (before any script runs). */
export async function recordMarks(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    (window as unknown as { __peerconnectMarks?: boolean }).__peerconnectMarks = true;
  });
}

/** One image's timeline, ms since navigation start, by phase (missing phases absent). */
export type Timeline = Record<string, number>;

/** Reads the timeline of the image whose URL path is `path`, as the page recorded it. */
export async function imageTimeline(page: Page, path: string): Promise<{ timeline: Timeline; source?: string; ms?: number }> {
  return page.evaluate((wanted) => {
    const records = Object.values(window.__peerconnect?.assets ?? {});
    const record = records.find((r) => new URL(r.url).pathname === wanted);
    const timeline: Record<string, number> = {};
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    if (nav) timeline.responseEnd = nav.responseEnd;
    for (const m of performance.getEntriesByType('mark')) {
      const [prefix, phase, key] = m.name.split(':');
      if (prefix !== 'peerconnect' || !phase) continue;
      if (key === undefined) timeline[phase] = m.startTime;
      else if (record && (key === record.id || key === record.peer)) timeline[phase] = m.startTime;
    }
    return { timeline, ...(record ? { source: record.source, ms: record.ms } : {}) };
  }, path);
}

/** Prints the per-phase median (and its step from the previous phase) over `timelines`. */
export function printBreakdown(title: string, timelines: Timeline[]): void {
  console.log(`  ${title} (n=${timelines.length}; ms since navigation start, median of each phase; step = difference of medians)`);
  let previous: number | undefined;
  for (const { phase, label } of PHASES) {
    const values = timelines.map((t) => t[phase]).filter((v): v is number => v !== undefined);
    if (values.length === 0) continue;
    const median = quantile(values, 0.5);
    const step = previous === undefined ? '' : ` (+${fmt(median - previous)})`;
    console.log(`    ${label.padEnd(30)} ${fmt(median).padStart(6)}${step.padEnd(9)} p95 ${fmt(quantile(values, 0.95)).padStart(6)}  n=${values.length}`);
    previous = median;
  }
}
