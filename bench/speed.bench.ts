// Speed: is a parked image as fast from peers as from the origin?
//
// `--breakdown` (loopback, the proxy in-process): one holder visits the demo
// gallery over HTTP, then `--visitors` visitors (20 by default) arrive one by
// one and load from peers; for one parked image (`--image`, default the first
// gallery photo) it prints the median of each phase of its timeline (client
// marks: script run, signaling open, welcome, manifest, want → holders, offer →
// answer, ICE, DTLS, data channel, first/last byte, hash, paint) beside the same
// image's time over plain HTTP measured in the same run with P2P off.
//
//   node scripts/run-bench.mjs speed --breakdown [--visitors 20] [--image /images/photo-01.png]
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser.js';
import { startProxy } from '../test/helpers/proxy.js';
import { visit, type Visitor } from '../test/helpers/p2p-page.js';
import { imageTimeline, printBreakdown, recordMarks, type Timeline } from './support/breakdown.js';
import { fmt, quantile, settle } from './support/offload-figures.js';

const { values } = parseArgs({
  options: {
    breakdown: { type: 'boolean' },
    visitors: { type: 'string' },
    image: { type: 'string' },
  },
});
const VISITORS = Number(values.visitors ?? 20);
const IMAGE = values.image ?? '/images/photo-01.png';
const SETTLE_TIMEOUT_MS = 30_000;

interface Sample { timeline: Timeline; source?: string; ms?: number }

/** `n` visitors one after another on `url`; each is read once settled and closed before the next. */
async function oneByOne(browser: Browser, url: string, tag: string, n: number, keep: Visitor[]): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 1; i <= n; i++) {
    const v = await visit(browser, url, `${tag}-${i}`, recordMarks);
    await settle(v.page, SETTLE_TIMEOUT_MS);
    samples.push(await imageTimeline(v.page, IMAGE));
    if (keep.length === 0) keep.push(v);
    else await v.context.close();
  }
  return samples;
}

async function breakdownOnLoopback(): Promise<void> {
  const browser = await launchBrowser();
  try {
    // Baseline: P2P never kicks in (threshold above any count), every image over HTTP.
    const off = await startProxy({ P2P_THRESHOLD: '1000000', SEEDER_MODE: 'off' });
    const offKeep: Visitor[] = [];
    let http: Sample[];
    try {
      http = await oneByOne(browser, new URL('/', off.url).href, 'http', VISITORS, offKeep);
    } finally {
      for (const v of offKeep) await v.context.close().catch(() => undefined);
      await off.close();
    }
    // P2P: threshold 1, the embedded seeder; the first visitor loads over HTTP and stays as a holder.
    const app = await startProxy({ P2P_THRESHOLD: '1', SEEDER_MODE: 'embedded' });
    const keep: Visitor[] = [];
    try {
      await oneByOne(browser, new URL('/', app.url).href, 'holder', 1, keep);
      const p2p = await oneByOne(browser, new URL('/', app.url).href, 'bench', VISITORS, keep.length > 0 ? [...keep] : keep);
      const delivered = p2p.filter((s) => s.source === 'peer' || s.source === 'seeder');
      const httpMs = http.map((s) => s.ms).filter((v): v is number => v !== undefined);
      const p2pMs = delivered.map((s) => s.ms).filter((v): v is number => v !== undefined);
      console.log(`speed --breakdown (loopback): ${IMAGE}, ${VISITORS} visitors one by one after one HTTP holder (threshold 1, embedded seeder); machine shared and loaded, figures noisy`);
      console.log(`  sources of ${IMAGE}: ${JSON.stringify(countBy(p2p.map((s) => s.source ?? 'none')))}`);
      console.log(`  time-to-image of ${IMAGE}: P2P median ${fmt(quantile(p2pMs, 0.5))} p95 ${fmt(quantile(p2pMs, 0.95))} (n=${p2pMs.length}); HTTP (P2P off, same run) median ${fmt(quantile(httpMs, 0.5))} p95 ${fmt(quantile(httpMs, 0.95))} (n=${httpMs.length}); P2P/HTTP median ${(quantile(p2pMs, 0.5) / quantile(httpMs, 0.5)).toFixed(2)}×`);
      printBreakdown('P2P timeline', delivered.map((s) => s.timeline));
      printBreakdown('HTTP timeline (P2P off)', http.map((s) => s.timeline));
    } finally {
      for (const v of keep) await v.context.close().catch(() => undefined);
      await app.close();
    }
  } finally {
    await browser.close();
  }
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[item] = (out[item] ?? 0) + 1;
  return out;
}

if (values.breakdown) await breakdownOnLoopback();
else throw new Error('speed: pass --breakdown (the emulated-internet comparison is not built yet)');
