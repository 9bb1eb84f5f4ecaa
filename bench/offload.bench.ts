// Offload: N visitors (separate Chromium contexts) over the demo gallery with
// threshold T. The first T arrive one after another and load over HTTP; the rest
// arrive one by one and then in concurrent waves. Prints media bytes by source
// (origin-served vs browser peers vs the server seeder), the offload ratio
// against the theoretical maximum (N−T)/N, time-to-image P2P vs HTTP (median,
// p95) and fallbacks by reason. All figures come from this one run.
//
//   node scripts/run-bench.mjs offload            (inside the test network namespace)
//   node --import tsx bench/offload.bench.ts [--visitors 12] [--threshold 3] [--seeder embedded|off] [--baseline before|interleaved]
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../proxy/app.js';
import { buildDemoSite } from '../proxy/demo/demo-site.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { startProxy } from '../test/helpers/proxy.js';
import { visit, type Visitor } from '../test/helpers/p2p-page.js';
import { delivery, fmt, quantile, settle, times, type Arrival } from './support/offload-figures.js';

const { values } = parseArgs({ options: { visitors: { type: 'string' }, threshold: { type: 'string' }, seeder: { type: 'string' }, baseline: { type: 'string' } } });
const N = Number(values.visitors ?? 12);
const T = Number(values.threshold ?? 3);
const SEEDER = values.seeder ?? 'embedded';
/**
 * `before`: the all-HTTP baseline runs first, then the P2P run (each alone on the
 * machine). `interleaved`: both arrive at the same moments (same load, but twice
 * as many pages at once, which weighs more on the P2P path's extra processes).
 */
const BASELINE = values.baseline === 'interleaved' ? 'interleaved' : 'before';
/** Later arrivals: one by one, then concurrent waves of these sizes (the rest in the last wave). */
const WAVES = [1, 1, 2, 3];
const SETTLE_TIMEOUT_MS = 30_000;

interface Run { app: RunningApp; visitors: Visitor[]; results: Arrival[]; tag: string }

async function startRun(threshold: number, seeder: string, tag: string): Promise<Run> {
  // '': the product's default hedging and LCP image over HTTP (the test helper turns them off).
  return { app: await startProxy({ P2P_THRESHOLD: String(threshold), SEEDER_MODE: seeder, P2P_HEDGE_MS: '', P2P_LCP_HTTP: '' }), visitors: [], results: [], tag };
}

/**
 * N arrivals (T one by one, then waves) on each run at the same moments, so the
 * P2P run and its all-HTTP baseline see the same machine load.
 */
async function arriveTogether(browser: Browser, runs: Run[]): Promise<number> {
  const arrive = async (run: Run, i: number): Promise<void> => {
    const v = await visit(browser, new URL('/', run.app.url).href, `${run.tag}-${i}`);
    run.visitors.push(v);
    run.results.push({ i, ...(await settle(v.page, SETTLE_TIMEOUT_MS)) });
  };
  const started = Date.now();
  const groups: number[][] = [];
  let next = 1;
  for (; next <= Math.min(T, N); next++) groups.push([next]);
  for (const wave of [...WAVES, Number.POSITIVE_INFINITY]) {
    if (next > N) break;
    const group: number[] = [];
    for (let k = 0; k < wave && next <= N; k++) group.push(next++);
    groups.push(group);
  }
  for (const group of groups) await Promise.all(runs.flatMap((run) => group.map((i) => arrive(run, i))));
  return Date.now() - started;
}

async function close(visitors: Visitor[], app: RunningApp): Promise<void> {
  for (const v of visitors) await v.context.close().catch(() => undefined);
  await app.close();
}

async function main(): Promise<void> {
  const sizes = new Map([...buildDemoSite()].map(([path, file]) => [path, file.body.length]));
  const browser = await launchBrowser();
  try {
    // Baseline: the same arrivals with P2P never kicking in (threshold above N), all HTTP.
    const baseline = await startRun(N + 1_000_000, 'off', 'http');
    let p2pRun: Run;
    let elapsed: number;
    if (BASELINE === 'interleaved') {
      p2pRun = await startRun(T, SEEDER, 'bench');
      elapsed = await arriveTogether(browser, [baseline, p2pRun]);
      await close(baseline.visitors, baseline.app);
    } else {
      await arriveTogether(browser, [baseline]);
      await close(baseline.visitors, baseline.app);
      p2pRun = await startRun(T, SEEDER, 'bench');
      elapsed = await arriveTogether(browser, [p2pRun]);
    }
    const httpLater = times(baseline.results, T, true).http;
    const { results, app } = p2pRun;
    try {
      const { bytes, fallbacks, broken, offload, maximum } = delivery(results, T);
      // Origin-served image bytes, from the origin's own access log (visitors only).
      let originBytes = 0;
      for (const e of app.demo?.accessLog ?? []) {
        if (e.userAgent?.includes('bench-') && e.path.startsWith('/images/') && !e.path.endsWith('.gif')) originBytes += sizes.get(e.path) ?? 0;
      }
      const total = bytes.peer + bytes.seeder + bytes.server;
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // last report beacons
      const stats = (await (await fetch(new URL('/__p2p/stats', app.url))).json()) as { bytes?: Record<string, number> };
      const p2pLater = times(results, T, true).p2p;
      const medP2p = quantile(p2pLater, 0.5);
      const medHttp = quantile(httpLater, 0.5);

      console.log(`offload: ${N} visitors (${T} one by one, then waves ${WAVES.join(',')},rest), threshold ${T}, seeder ${SEEDER}, ${results[0]?.tagged ?? 0} P2P-eligible images per page, ${(elapsed / 1000).toFixed(1)} s`);
      console.log(`  image bytes by source (browser counts): peer ${bytes.peer}, seeder ${bytes.seeder}, server ${bytes.server}`);
      console.log(`  origin-served image bytes (origin access log, visitors): ${originBytes}`);
      console.log(`  /__p2p/stats bytes: ${JSON.stringify(stats.bytes ?? {})}`);
      console.log(`  offload ratio ${(offload * 100).toFixed(1)} % (browser peers alone ${((bytes.peer / Math.max(1, total)) * 100).toFixed(1)} %) vs theoretical max (N−T)/N ${(maximum * 100).toFixed(1)} % → ${(maximum > 0 ? (offload / maximum) * 100 : 0).toFixed(1)} % of maximum (target ≥ 95 %)`);
      console.log(`  time-to-image, visitors ${T + 1}–${N}, ms since navigation: P2P median ${fmt(medP2p)} p95 ${fmt(quantile(p2pLater, 0.95))} (n=${p2pLater.length}); same arrivals all-HTTP (${BASELINE}) median ${fmt(medHttp)} p95 ${fmt(quantile(httpLater, 0.95))} (n=${httpLater.length}); P2P/HTTP median ${(medP2p / medHttp).toFixed(2)}× (target ≤ 1.5×)`);
      console.log(`  fallbacks by reason: ${JSON.stringify(fallbacks)}; broken images: ${broken}`);
    } finally {
      await close(p2pRun.visitors, app);
    }
  } finally {
    await browser.close();
  }
}

await main();
