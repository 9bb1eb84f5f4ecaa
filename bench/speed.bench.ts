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
// up per home, coturn; and the server side's uplink, 20 Mbit/s shared by all
// visitors): the demo gallery and the heavier page (/heavy.html: a 300 KB hero and
// 40 images), `--visitors` visitors (12 by default) per page arriving in waves of
// 4 concurrent, once per configuration, in one run:
//   a  P2P off (threshold above any count)     b  defaults (threshold 3, hedging)
//   c  foldLoading                              d  defaults without hedging
// Prints per page: LCP median/p95 and its ratio against (a), CLS against (a),
// per-image time-to-image P2P and HTTP (median/p95), offload against its maximum,
// bytes through the server's uplink, hedges (started, won by peer/HTTP) and their
// byte cost, and the timeline breakdown of one parked image under (b).
//
// Every mode runs `--repeat` rounds (2 by default), interleaved, each on a fresh proxy.
//
//   node scripts/run-bench.mjs speed [--visitors 12] [--modes a,b,c,d] [--pages gallery,heavy] [--repeat 2]
//                                    [--uplink 20mbit|off] [--uplink-queue-ms 1000]
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser.js';
import { buildDemoSite, HEAVY_IMAGES, HEAVY_PAGE } from '../proxy/demo/demo-site.js';
import { startProxy } from '../test/helpers/proxy.js';
import { visit, type Visitor } from '../test/helpers/p2p-page.js';
import { createNetBed, type HomeOptions, type NetBed } from '../test/net/bed.js';
import { WAN_QUEUE_MS } from '../test/net/wan.js';
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
    pages: { type: 'string' },
    uplink: { type: 'string' },
    'uplink-queue-ms': { type: 'string' },
    repeat: { type: 'string' },
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
/** Rounds of every mode: 2 keeps the run near 12 minutes here (one round: ~6). */
const ROUNDS = 2;
const PROXY_PORT = 8080;
const ORIGIN_PORT = 8081;
const MODES: Record<string, { label: string; env: Record<string, string> }> = {
  a: { label: 'P2P off', env: { P2P_THRESHOLD: '1000000', SEEDER_MODE: 'off' } },
  b: { label: 'defaults', env: { P2P_THRESHOLD: String(THRESHOLD), P2P_HEDGE_MS: '', P2P_LCP_HTTP: '' } },
  c: { label: 'foldLoading', env: { P2P_THRESHOLD: String(THRESHOLD), P2P_HEDGE_MS: '', P2P_LCP_HTTP: '', P2P_FOLD_LOADING: 'true' } },
  d: { label: 'no hedging', env: { P2P_THRESHOLD: String(THRESHOLD), P2P_HEDGE_MS: '0', P2P_LCP_HTTP: '' } },
};
/** The two pages, each with the parked image whose timeline is broken down (not the LCP image, which defaults to HTTP). */
const PAGES: Record<string, { path: string; image: string }> = {
  gallery: { path: '/', image: IMAGE },
  heavy: { path: HEAVY_PAGE, image: HEAVY_IMAGES[0]!.path },
};
const SITE_SIZES = new Map([...buildDemoSite()].map(([path, file]) => [path, file.body.length]));

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

/** What one settled page tells about hedging besides its asset records: hedges started (client marks) and the HTTP legs' fetches. */
interface HedgeTrace { started: number; fetches: { url: string; bytes: number }[] }

function pageExtras(page: Page): Promise<{ lcp: number; cls: number; hedge: HedgeTrace }> {
  return page.evaluate(() => {
    const { lcp, cls } = (window as unknown as { __vitals: { lcp: number; cls: number } }).__vitals;
    const started = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('peerconnect:hedge')).length;
    // The hedge's HTTP leg is the client's only fetch() of an image URL (fallbacks set the element's src).
    const fetches = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => e.initiatorType === 'fetch' && /\.(png|jpe?g|webp|avif)$/i.test(new URL(e.name).pathname))
      .map((e) => ({ url: e.name, bytes: e.encodedBodySize }));
    return { lcp, cls, hedge: { started, fetches } };
  });
}

interface PageResult {
  mode: string;
  page: string;
  arrivals: Arrival[];
  lcp: number[];
  cls: number[];
  hedges: HedgeTrace[];
  timelines: Timeline[];
  elapsedMs: number;
  /** Bytes the server side sent through its shared uplink during this page's waves. */
  uplinkBytes: number;
  /** Visits that did not load or settle in time: left out of every figure, counted here. */
  failedVisits: string[];
}

async function runPage(mode: string, pageName: string, bed: NetBed, browsers: Browser[], proxyUrl: string): Promise<PageResult> {
  const { path, image } = PAGES[pageName]!;
  const url = new URL(path, proxyUrl).href;
  const visitors: Visitor[] = [];
  const result: PageResult = { mode, page: pageName, arrivals: [], lcp: [], cls: [], hedges: [], timelines: [], elapsedMs: 0, uplinkBytes: 0, failedVisits: [] };
  const uplinkBefore = (await bed.serverUplinkBytes()).shaped;
  const started = Date.now();
  try {
    for (let first = 1; first <= browsers.length; first += WAVE) {
      const wave = Array.from({ length: Math.min(WAVE, browsers.length - first + 1) }, (_, k) => first + k);
      await Promise.all(wave.map(async (i) => {
        try {
          const v = await visit(browsers[i - 1]!, url, `speed-${mode}-${pageName}-${i}`, watchVitals);
          visitors.push(v);
          const settled = await settle(v.page, SETTLE_TIMEOUT_MS);
          result.arrivals.push({ i, ...settled });
          const { lcp, cls, hedge } = await pageExtras(v.page);
          result.lcp.push(lcp);
          result.cls.push(cls);
          result.hedges.push(hedge);
          const t = await imageTimeline(v.page, image);
          if (t.source === 'peer' || t.source === 'seeder') result.timelines.push(t.timeline);
        } catch (err) {
          // One visitor's page not loading in time is a figure of this run, not the end of it.
          result.failedVisits.push(`visitor ${i}: ${(err as Error).message.split('\n')[0]}`);
        }
      }));
    }
    result.elapsedMs = Date.now() - started;
    result.uplinkBytes = (await bed.serverUplinkBytes()).shaped - uplinkBefore;
  } finally {
    for (const v of visitors) await v.context.close().catch(() => undefined);
  }
  return result;
}

async function runMode(mode: string, pages: string[], bed: NetBed, browsers: Browser[], originUrl: string, ice: Record<string, string>): Promise<PageResult[]> {
  const proxy = await startPeerConnect(bed, PROXY_PORT, { ORIGIN: originUrl, ...ice, ...MODES[mode]!.env });
  const out: PageResult[] = [];
  try {
    // One proxy per mode; the pages share no image, so the second page's assets start from zero visitors too.
    for (const page of pages) out.push(await runPage(mode, page, bed, browsers, proxy.url));
  } finally {
    await proxy.stop();
  }
  return out;
}

function perImage(arrivals: Arrival[]): { p2p: number[]; http: number[]; hedges: Record<string, number> } {
  const out = { p2p: [] as number[], http: [] as number[], hedges: {} as Record<string, number> };
  for (const a of arrivals) {
    for (const r of Object.values(a.s.assets)) {
      if (r.hedge) out.hedges[r.hedge] = (out.hedges[r.hedge] ?? 0) + 1;
      if (r.ms === undefined) continue;
      if (r.source === 'peer' || r.source === 'seeder') out.p2p.push(r.ms);
      else if (!r.fallback) out.http.push(r.ms);
    }
  }
  return out;
}

/**
 * The hedge byte cost: HTTP bytes fetched by hedges for images peers delivered
 * (hedge won by the peer: what the HTTP leg fetched before it was cut off) or
 * would have delivered (hedge won by HTTP with the peer leg still alive, i.e. no
 * fallback reason: the whole image). The client reports `hedgeBytes` when the
 * HTTP leg completed; a leg cut off unread is measured from the page's Resource
 * Timing entry of that fetch, and when there is none it is counted at the image's
 * full size in `upper` only.
 */
function hedgeCost(r: PageResult): { started: number; peerWon: number; httpWon: number; httpWonAfterFailure: number; bytes: number; upper: number; unmeasured: number; imageBytes: number } {
  const out = { started: 0, peerWon: 0, httpWon: 0, httpWonAfterFailure: 0, bytes: 0, upper: 0, unmeasured: 0, imageBytes: 0 };
  r.arrivals.forEach((a, k) => {
    const trace = r.hedges[k]!;
    out.started += trace.started;
    for (const rec of Object.values(a.s.assets)) {
      out.imageBytes += rec.source === 'webseed' ? 0 : rec.bytes;
      if (rec.hedge === 'http') {
        if (rec.fallback) {
          out.httpWonAfterFailure++;
          continue;
        }
        out.httpWon++;
        out.bytes += rec.hedgeBytes ?? rec.bytes;
        out.upper += rec.hedgeBytes ?? rec.bytes;
      } else if (rec.hedge === 'peer') {
        out.peerWon++;
        const fetches = trace.fetches.filter((f) => f.url === rec.url);
        const measured = rec.hedgeBytes ?? (fetches.length > 0 ? fetches.reduce((sum, f) => sum + f.bytes, 0) : undefined);
        if (measured !== undefined) {
          out.bytes += measured;
          out.upper += measured;
        } else {
          out.unmeasured++;
          out.upper += SITE_SIZES.get(new URL(rec.url).pathname) ?? 0;
        }
      }
    }
  });
  return out;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : 'n/a';
}

/** One row per mode: the rounds' visitors together, their times and bytes summed. */
function merged(results: PageResult[], pageName: string): PageResult[] {
  const rows = new Map<string, PageResult>();
  for (const r of results.filter((x) => x.page === pageName)) {
    const row = rows.get(r.mode);
    if (!row) {
      rows.set(r.mode, { ...r, arrivals: [...r.arrivals], lcp: [...r.lcp], cls: [...r.cls], hedges: [...r.hedges], timelines: [...r.timelines], failedVisits: [...r.failedVisits] });
      continue;
    }
    row.arrivals.push(...r.arrivals);
    row.lcp.push(...r.lcp);
    row.cls.push(...r.cls);
    row.hedges.push(...r.hedges);
    row.timelines.push(...r.timelines);
    row.elapsedMs += r.elapsedMs;
    row.uplinkBytes += r.uplinkBytes;
    row.failedVisits.push(...r.failedVisits);
  }
  return [...rows.values()];
}

function printPage(pageName: string, results: PageResult[], rounds: number): void {
  const rows = merged(results, pageName);
  const base = rows.find((r) => r.mode === 'a');
  const baseLcp = base ? quantile(base.lcp, 0.5) : Number.NaN;
  const baseLcp95 = base ? quantile(base.lcp, 0.95) : Number.NaN;
  const baseCls = base ? mean(base.cls) : Number.NaN;
  console.log(`\n  page ${pageName} (${PAGES[pageName]!.path})`);
  console.log('  mode            | LCP med  p95 ms (×a med, ×a p95) | CLS mean (−a)     | P2P image med/p95 (n) | HTTP image med/p95 (n) | P2P/HTTP med | offload (of max) | server uplink MB | fallbacks | broken | s');
  for (const r of rows) {
    const lcp = quantile(r.lcp, 0.5);
    const lcp95 = quantile(r.lcp, 0.95);
    const cls = mean(r.cls);
    const img = perImage(r.arrivals);
    // Each round starts a fresh proxy: its first THRESHOLD visitors load over HTTP.
    const d = delivery(r.arrivals, r.mode === 'a' ? r.arrivals.length : THRESHOLD * rounds);
    const ofMax = d.maximum > 0 ? d.offload / d.maximum : 0;
    console.log(`  ${(r.mode + ' ' + MODES[r.mode]!.label).padEnd(15)} | ${fmt(lcp).padStart(5)} ${fmt(lcp95).padStart(5)} (${(lcp / baseLcp).toFixed(2)}×, ${(lcp95 / baseLcp95).toFixed(2)}×) | ${cls.toFixed(4)} (${(cls - baseCls >= 0 ? '+' : '')}${(cls - baseCls).toFixed(4)}) | ${fmt(quantile(img.p2p, 0.5))}/${fmt(quantile(img.p2p, 0.95))} (${img.p2p.length}) | ${fmt(quantile(img.http, 0.5))}/${fmt(quantile(img.http, 0.95))} (${img.http.length}) | ${(quantile(img.p2p, 0.5) / quantile(img.http, 0.5)).toFixed(2)}× | ${(d.offload * 100).toFixed(1)} % (${(ofMax * 100).toFixed(0)} %) | ${(r.uplinkBytes / 1e6).toFixed(1)} | ${JSON.stringify(d.fallbacks)} | ${d.broken} | ${(r.elapsedMs / 1000).toFixed(0)}`);
  }
  for (const r of rows) {
    if (r.failedVisits.length > 0) console.log(`  ${r.mode}: ${r.failedVisits.length} visits left out (did not load or settle in time): ${r.failedVisits.join('; ')}`);
  }
  console.log('  mode            | hedges started | won by peer | won by HTTP (peer leg alive) | won by HTTP after a peer failure | hedge byte cost (share of image bytes)');
  for (const r of rows) {
    if (r.mode === 'a') continue;
    const h = hedgeCost(r);
    const bound = h.unmeasured > 0 ? `, ≤ ${(h.upper / 1e6).toFixed(2)} MB = ${pct(h.upper, h.imageBytes)} counting ${h.unmeasured} aborted legs with no Resource Timing entry at full size` : '';
    console.log(`  ${(r.mode + ' ' + MODES[r.mode]!.label).padEnd(15)} | ${String(h.started).padStart(14)} | ${String(h.peerWon).padStart(11)} | ${String(h.httpWon).padStart(28)} | ${String(h.httpWonAfterFailure).padStart(32)} | ${(h.bytes / 1e6).toFixed(2)} MB = ${pct(h.bytes, h.imageBytes)} of ${(h.imageBytes / 1e6).toFixed(1)} MB${bound}`);
  }
  const b = rows.find((r) => r.mode === 'b');
  if (b) printBreakdown(`breakdown of ${PAGES[pageName]!.image} under (b), P2P deliveries only`, b.timelines);
}

function mean(values: number[]): number {
  return values.reduce((x, y) => x + y, 0) / Math.max(1, values.length);
}

async function inTheBed(): Promise<void> {
  const wallStart = Date.now();
  const modes = (values.modes ?? 'a,b,c,d').split(',').filter((m) => m in MODES);
  const pages = (values.pages ?? 'gallery,heavy').split(',').filter((p) => p in PAGES);
  const uplink = values.uplink ?? '20mbit';
  const queueMs = Number(values['uplink-queue-ms'] ?? WAN_QUEUE_MS);
  const rounds = Number(values.repeat ?? ROUNDS);
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--repeat: a positive integer expected, got '${values.repeat}'`);
  if (!Number.isFinite(queueMs) || queueMs <= 0) throw new RangeError(`--uplink-queue-ms: a positive number of ms expected, got '${values['uplink-queue-ms']}'`);
  const bed = await createNetBed({ homes: HOMES, ...(uplink === 'off' ? {} : { serverUplink: { rate: uplink, queueMs } }) });
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
    const results: PageResult[] = [];
    // Rounds interleave the modes (a b c d a b c d …), so load from elsewhere on the machine falls on all of them alike.
    for (let round = 1; round <= rounds; round++) {
      for (const mode of modes) results.push(...(await runMode(mode, pages, bed, browsers, origin.url, ice)));
    }

    console.log(`speed (emulated internet): ${browsers.length} visitors per page and mode in waves of ${WAVE}, ${bed.homes.length} homes, WAN ${WAN.delayMs} ms one way, ${WAN.rate} down / ${WAN.uploadRate} up per home, server side's uplink ${uplink === 'off' ? 'not shaped' : `${uplink} shared by all visitors (proxy, origin behind it, seeder; coturn apart; ${queueMs} ms FIFO)`}, coturn; threshold ${THRESHOLD} where P2P is on; one run, ${rounds} round(s) of every mode, interleaved (a fresh proxy each); machine shared (2 cores, other test runs): figures noisy`);
    for (const page of pages) printPage(page, results, rounds);
    console.log('\n  targets: LCP (b) ≤ 1.05× (a); CLS difference ≤ 0.01; P2P time-to-image median ≤ 1.0× HTTP; offload ≥ 0.85 of the maximum with hedging on');
  } finally {
    for (const browser of browsers) await browser.close().catch(() => undefined);
    await bed.close();
    console.log(`  wall time ${((Date.now() - wallStart) / 1000).toFixed(0)} s`);
  }
}

if (values.breakdown) await breakdownOnLoopback();
else await inTheBed();
