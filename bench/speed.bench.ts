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
//
// Without `--breakdown` (the emulated internet of bench/internet.bench.ts: 4 homes
// behind NAT, 40 ms one way from the public segment, 20 Mbit/s down and 10 Mbit/s
// up per home, coturn): the demo gallery, `--visitors` visitors (12 by default)
// arriving in waves of 4 concurrent, once per configuration, in one run:
//   a  P2P off (threshold above any count)     b  defaults (threshold 3, hedging)
//   c  foldLoading                              d  defaults without hedging
// Prints LCP median/p95 and its ratio against (a), CLS against (a), per-image
// time-to-image P2P and HTTP (median/p95), offload against its maximum, hedges by
// winner, and the timeline breakdown of `--image` under (b).
//
//   node scripts/run-bench.mjs speed [--visitors 12] [--modes a,b,c,d]
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser.js';
import { startProxy } from '../test/helpers/proxy.js';
import { visit, type Visitor } from '../test/helpers/p2p-page.js';
import { createNetBed, type HomeOptions, type NetBed } from '../test/net/bed.js';
import { launchBrowserIn } from '../test/net/browser.js';
import { startCoturn } from '../test/net/coturn.js';
import { startDemoOrigin } from '../test/net/demo-origin.js';
import { startPeerConnect } from '../test/net/peerconnect.js';
import { imageTimeline, printBreakdown, recordMarks, type Timeline } from './support/breakdown.js';
import { delivery, fmt, quantile, settle, type Arrival } from './support/offload-figures.js';

const { values } = parseArgs({
  options: {
    breakdown: { type: 'boolean' },
    visitors: { type: 'string' },
    image: { type: 'string' },
    modes: { type: 'string' },
  },
});
const VISITORS = Number(values.visitors ?? (values.breakdown ? 20 : 12));
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
    // P2P_HEDGE_MS '': the product's default hedging (the test helper turns it off).
    const app = await startProxy({ P2P_THRESHOLD: '1', SEEDER_MODE: 'embedded', P2P_HEDGE_MS: '', P2P_LCP_HTTP: '' });
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

const WAN = { delayMs: 40, rate: '20mbit', uploadRate: '10mbit' } as const;
const HOMES: HomeOptions[] = [
  { nat: 'endpoint-independent', hosts: 4, wan: WAN },
  { nat: 'endpoint-independent', hosts: 3, wan: WAN },
  { nat: 'symmetric', hosts: 3, wan: WAN },
  { nat: 'endpoint-independent', hosts: 2, wan: WAN },
];
const WAVE = 4;
const THRESHOLD = 3;
const PROXY_PORT = 8080;
const ORIGIN_PORT = 8081;
const MODES: Record<string, { label: string; env: Record<string, string> }> = {
  a: { label: 'P2P off', env: { P2P_THRESHOLD: '1000000', SEEDER_MODE: 'off' } },
  b: { label: 'defaults', env: { P2P_THRESHOLD: String(THRESHOLD), P2P_HEDGE_MS: '', P2P_LCP_HTTP: '' } },
  c: { label: 'foldLoading', env: { P2P_THRESHOLD: String(THRESHOLD), P2P_HEDGE_MS: '', P2P_LCP_HTTP: '', P2P_FOLD_LOADING: 'true' } },
  d: { label: 'no hedging', env: { P2P_THRESHOLD: String(THRESHOLD), P2P_HEDGE_MS: '0', P2P_LCP_HTTP: '' } },
};

/** Records LCP and CLS as the page itself sees them, from before its first paint. */
async function watchVitals(context: BrowserContext): Promise<void> {
  await recordMarks(context);
  await context.addInitScript(() => {
    const w = window as unknown as { __vitals: { lcp: number; cls: number } };
    w.__vitals = { lcp: 0, cls: 0 };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__vitals.lcp = e.startTime;
    }).observe({ type: 'largest-contentful-paint', buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) if (!e.hadRecentInput) w.__vitals.cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

function vitals(page: Page): Promise<{ lcp: number; cls: number }> {
  return page.evaluate(() => (window as unknown as { __vitals: { lcp: number; cls: number } }).__vitals);
}

interface ModeResult {
  mode: string;
  arrivals: Arrival[];
  lcp: number[];
  cls: number[];
  timelines: Timeline[];
  elapsedMs: number;
}

async function runMode(mode: string, bed: NetBed, browsers: Browser[], originUrl: string, ice: Record<string, string>): Promise<ModeResult> {
  const proxy = await startPeerConnect(bed, PROXY_PORT, { ORIGIN: originUrl, ...ice, ...MODES[mode]!.env });
  const visitors: Visitor[] = [];
  const result: ModeResult = { mode, arrivals: [], lcp: [], cls: [], timelines: [], elapsedMs: 0 };
  const started = Date.now();
  try {
    for (let first = 1; first <= browsers.length; first += WAVE) {
      const wave = Array.from({ length: Math.min(WAVE, browsers.length - first + 1) }, (_, k) => first + k);
      await Promise.all(wave.map(async (i) => {
        const v = await visit(browsers[i - 1]!, proxy.url, `speed-${mode}-${i}`, watchVitals);
        visitors.push(v);
        const settled = await settle(v.page, 30_000);
        result.arrivals.push({ i, ...settled });
        const { lcp, cls } = await vitals(v.page);
        result.lcp.push(lcp);
        result.cls.push(cls);
        const t = await imageTimeline(v.page, IMAGE);
        if (t.source === 'peer' || t.source === 'seeder') result.timelines.push(t.timeline);
      }));
    }
    result.elapsedMs = Date.now() - started;
  } finally {
    for (const v of visitors) await v.context.close().catch(() => undefined);
    await proxy.stop();
  }
  return result;
}

function perImage(arrivals: Arrival[]): { p2p: number[]; http: number[]; hedges: Record<string, number> } {
  const out = { p2p: [] as number[], http: [] as number[], hedges: {} as Record<string, number> };
  for (const a of arrivals) {
    for (const r of Object.values(a.s.assets)) {
      const hedge = (r as { hedge?: string }).hedge;
      if (hedge) out.hedges[hedge] = (out.hedges[hedge] ?? 0) + 1;
      if (r.ms === undefined) continue;
      if (r.source === 'peer' || r.source === 'seeder') out.p2p.push(r.ms);
      else if (!r.fallback) out.http.push(r.ms);
    }
  }
  return out;
}

async function inTheBed(): Promise<void> {
  const modes = (values.modes ?? 'a,b,c,d').split(',').filter((m) => m in MODES);
  const bed = await createNetBed({ homes: HOMES });
  const browsers: Browser[] = [];
  try {
    const coturn = await startCoturn(bed);
    const origin = await startDemoOrigin(bed, ORIGIN_PORT);
    const ice = { P2P_ICE_SERVERS: coturn.stunUrl, TURN_URLS: coturn.turnUrl, TURN_SECRET: coturn.secret };
    // Visitors in arrival order, round robin over the homes.
    const most = Math.max(...bed.homes.map((h) => h.hosts.length));
    for (let j = 0; j < most && browsers.length < VISITORS; j++) {
      for (const home of bed.homes) if (j < home.hosts.length && browsers.length < VISITORS) browsers.push(await launchBrowserIn(home.hosts[j]!.ns));
    }
    const results: ModeResult[] = [];
    for (const mode of modes) results.push(await runMode(mode, bed, browsers, origin.url, ice));

    console.log(`speed (emulated internet): ${browsers.length} visitors in waves of ${WAVE}, ${bed.homes.length} homes, WAN ${WAN.delayMs} ms one way, ${WAN.rate} down / ${WAN.uploadRate} up per home, coturn; demo gallery; threshold ${THRESHOLD} where P2P is on; machine shared (2 cores, other test runs): figures noisy`);
    const base = results.find((r) => r.mode === 'a');
    const baseLcp = base ? quantile(base.lcp, 0.5) : Number.NaN;
    const baseLcp95 = base ? quantile(base.lcp, 0.95) : Number.NaN;
    const baseCls = base ? base.cls.reduce((x, y) => x + y, 0) / Math.max(1, base.cls.length) : Number.NaN;
    console.log('  mode            | LCP med  p95  (×a med, ×a p95) | CLS mean (−a) | P2P image med/p95 (n) | HTTP image med/p95 (n) | P2P/HTTP med | offload (of max) | hedges | fallbacks | s');
    for (const r of results) {
      const lcp = quantile(r.lcp, 0.5);
      const lcp95 = quantile(r.lcp, 0.95);
      const cls = r.cls.reduce((x, y) => x + y, 0) / Math.max(1, r.cls.length);
      const img = perImage(r.arrivals);
      const d = delivery(r.arrivals, r.mode === 'a' ? r.arrivals.length : THRESHOLD);
      const ofMax = d.maximum > 0 ? d.offload / d.maximum : 0;
      console.log(`  ${(r.mode + ' ' + MODES[r.mode]!.label).padEnd(15)} | ${fmt(lcp).padStart(5)} ${fmt(lcp95).padStart(5)} (${(lcp / baseLcp).toFixed(2)}×, ${(lcp95 / baseLcp95).toFixed(2)}×) | ${cls.toFixed(4)} (${(cls - baseCls >= 0 ? '+' : '')}${(cls - baseCls).toFixed(4)}) | ${fmt(quantile(img.p2p, 0.5))}/${fmt(quantile(img.p2p, 0.95))} (${img.p2p.length}) | ${fmt(quantile(img.http, 0.5))}/${fmt(quantile(img.http, 0.95))} (${img.http.length}) | ${(quantile(img.p2p, 0.5) / quantile(img.http, 0.5)).toFixed(2)}× | ${(d.offload * 100).toFixed(1)} % (${(ofMax * 100).toFixed(0)} %) | ${JSON.stringify(img.hedges)} | ${JSON.stringify(d.fallbacks)} | ${(r.elapsedMs / 1000).toFixed(0)}`);
    }
    const b = results.find((r) => r.mode === 'b');
    if (b) printBreakdown(`breakdown of ${IMAGE} under (b), P2P deliveries only`, b.timelines);
    console.log('  targets: LCP (b) ≤ 1.05× (a); CLS difference ≤ 0.01; P2P time-to-image median ≤ 1.0× HTTP; offload ≥ 0.85 of the maximum with hedging on');
  } finally {
    for (const browser of browsers) await browser.close().catch(() => undefined);
    await bed.close();
  }
}

if (values.breakdown) await breakdownOnLoopback();
else await inTheBed();
