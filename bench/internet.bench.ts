// Offload on an emulated internet: 12 visitors, each its own Chromium on its own
// host, in 4 homes behind NAT routers — home 1 endpoint-independent NAT with 4
// visitors, home 2 endpoint-independent with 3, home 3 symmetric with 3, home 4
// endpoint-independent with 2 — every router 40 ms one way from the public segment
// (proxy CLI, demo origin, coturn with STUN and TURN), 20 Mbit/s down and 10 Mbit/s
// up. Threshold 3: the first 3 arrive one by one (one per home), then waves.
// Prints, from this one run: offload against the theoretical maximum, fallbacks by
// reason, connection attempts by NAT pair and selected candidate type, and P2P
// time-to-image against the HTTP loads of the same run.
//
//   node scripts/run-bench.mjs internet          (inside the runner's namespace: it builds namespaces)
//   ... bench/internet.bench.ts [--threshold 3] [--seeder embedded|off]
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { buildDemoSite } from '../proxy/demo/demo-site.js';
import { createNetBed, type Home, type HomeOptions, type NetBed } from '../test/net/bed.js';
import { launchBrowserIn } from '../test/net/browser.js';
import { startCoturn } from '../test/net/coturn.js';
import { startDemoOrigin } from '../test/net/demo-origin.js';
import { startPeerConnect } from '../test/net/peerconnect.js';
import { visit, type Visitor } from '../test/helpers/p2p-page.js';
import { rtcWatch, watchRtc, type WatchedConnection } from '../test/helpers/rtc-watch.js';
import { delivery, fmt, quantile, settle, times, type Arrival } from './support/offload-figures.js';

const { values } = parseArgs({ options: { threshold: { type: 'string' }, seeder: { type: 'string' } } });
const T = Number(values.threshold ?? 3);
const SEEDER = values.seeder ?? 'embedded';
const WAN = { delayMs: 40, rate: '20mbit', uploadRate: '10mbit' } as const;
const HOMES: HomeOptions[] = [
  { nat: 'endpoint-independent', hosts: 4, wan: WAN },
  { nat: 'endpoint-independent', hosts: 3, wan: WAN },
  { nat: 'symmetric', hosts: 3, wan: WAN },
  { nat: 'endpoint-independent', hosts: 2, wan: WAN },
];
/** After the first T: one by one, then concurrent waves of these sizes (the rest in the last). */
const WAVES = [1, 1, 2, 3];
const SETTLE_TIMEOUT_MS = 30_000;
const PROXY_PORT = 8080;
const ORIGIN_PORT = 8081;

interface Seat { home: Home; host: number; browser?: Browser }

/** Visitors in arrival order: round robin over the homes, so the first T are in different homes. */
function seating(bed: NetBed): Seat[] {
  const seats: Seat[] = [];
  const most = Math.max(...bed.homes.map((h) => h.hosts.length));
  for (let j = 0; j < most; j++) for (const home of bed.homes) if (j < home.hosts.length) seats.push({ home, host: j });
  return seats;
}

function groups(n: number): number[][] {
  const out: number[][] = [];
  let next = 1;
  for (; next <= Math.min(T, n); next++) out.push([next]);
  for (const wave of [...WAVES, Number.POSITIVE_INFINITY]) {
    if (next > n) break;
    const group: number[] = [];
    for (let k = 0; k < wave && next <= n; k++) group.push(next++);
    out.push(group);
  }
  return out;
}

const natName = (home: Home): string => (home.nat === 'symmetric' ? 'sym' : 'EI');

/** The remote end of a link: the home whose router address its candidates carry, or the seeder on the public segment. */
function remoteOf(c: WatchedConnection, bed: NetBed): Home | 'pub' | undefined {
  const addresses = c.receivedFrom.map((entry) => entry.split(' ')[1]);
  const home = bed.homes.find((h) => addresses.includes(h.wanAddress));
  if (home) return home;
  return addresses.includes(bed.pubAddress) ? 'pub' : undefined;
}

async function main(): Promise<void> {
  const sizes = new Map([...buildDemoSite()].map(([path, file]) => [path, file.body.length]));
  const bed = await createNetBed({ homes: HOMES });
  const visitors: Visitor[] = [];
  const browsers: Browser[] = [];
  try {
    const coturn = await startCoturn(bed);
    const origin = await startDemoOrigin(bed, ORIGIN_PORT);
    const proxy = await startPeerConnect(bed, PROXY_PORT, {
      ORIGIN: origin.url, P2P_THRESHOLD: String(T), SEEDER_MODE: SEEDER,
      P2P_ICE_SERVERS: coturn.stunUrl, TURN_URLS: coturn.turnUrl, TURN_SECRET: coturn.secret,
      // The product's default hedging and LCP image over HTTP (the test helper turns them off).
      P2P_HEDGE_MS: '', P2P_LCP_HTTP: '',
    });
    const seats = seating(bed);
    for (const seat of seats) {
      seat.browser = await launchBrowserIn(seat.home.hosts[seat.host]!.ns);
      browsers.push(seat.browser);
    }
    const results: (Arrival & { seat: Seat; connections: WatchedConnection[] })[] = [];
    const started = Date.now();
    for (const group of groups(seats.length)) {
      await Promise.all(group.map(async (i) => {
        const seat = seats[i - 1]!;
        const v = await visit(seat.browser!, proxy.url, `bench-${i}`, watchRtc);
        visitors.push(v);
        const settled = await settle(v.page, SETTLE_TIMEOUT_MS);
        results.push({ i, ...settled, seat, connections: (await rtcWatch(v.page)).connections });
      }));
    }
    const elapsed = Date.now() - started;
    // Links the answering side saw too: read every page again now that all have arrived.
    for (const r of results) r.connections = (await rtcWatch(visitors.find((v) => v.agent === `bench-${r.i}`)!.page)).connections;
    results.sort((a, b) => a.i - b.i);

    const { bytes, fallbacks, broken, offload, maximum } = delivery(results, T);
    let originBytes = 0;
    for (const e of await origin.accessLog()) {
      if (e.userAgent?.includes('bench-') && e.path.startsWith('/images/') && !e.path.endsWith('.gif')) originBytes += sizes.get(e.path) ?? 0;
    }
    // Each link once, from the side that asked for it.
    const pairs = new Map<string, { attempts: number; ok: number; types: Map<string, number>; connectMs: number[] }>();
    for (const r of results) {
      for (const c of r.connections.filter((x) => x.role === 'offerer')) {
        const remote = remoteOf(c, bed);
        const own = r.seat.home;
        const key = remote === undefined ? `${natName(own)}×?`
          : remote === 'pub' ? `${natName(own)}×seeder`
          : remote === own ? `${natName(own)}×${natName(remote)} same LAN`
          : `${natName(own)}×${natName(remote)}`;
        const entry = pairs.get(key) ?? { attempts: 0, ok: 0, types: new Map<string, number>(), connectMs: [] };
        entry.attempts++;
        const type = c.connectedAt !== null ? `${c.selected?.local ?? '?'}/${c.selected?.remote ?? '?'}` : 'failed';
        if (c.connectedAt !== null) {
          entry.ok++;
          entry.connectMs.push(c.connectedAt - c.createdAt);
        }
        entry.types.set(type, (entry.types.get(type) ?? 0) + 1);
        pairs.set(key, entry);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // last report beacons
    const stats = await proxy.stats();
    const p2pLater = times(results, T, true).p2p;
    const httpAll = [...times(results, T, false).http, ...times(results, T, true).http];
    const medP2p = quantile(p2pLater, 0.5);
    const medHttp = quantile(httpAll, 0.5);

    console.log(`internet: ${results.length} visitors in ${bed.homes.length} homes (${bed.homes.map((h) => `${natName(h)}×${h.hosts.length}`).join(', ')}), WAN ${WAN.delayMs} ms one way, ${WAN.rate} down / ${WAN.uploadRate} up per home; threshold ${T}, seeder ${SEEDER}, coturn STUN+TURN; ${results[0]?.tagged ?? 0} P2P-eligible images per page; ${(elapsed / 1000).toFixed(1)} s`);
    console.log(`  image bytes by source (browser counts): peer ${bytes.peer}, seeder ${bytes.seeder}, server ${bytes.server}; origin-served image bytes (origin access log): ${originBytes}`);
    console.log(`  /__p2p/stats bytes: ${JSON.stringify(stats.bytes)}`);
    console.log(`  offload ${(offload * 100).toFixed(1)} % (browser peers alone ${((bytes.peer / Math.max(1, bytes.peer + bytes.seeder + bytes.server)) * 100).toFixed(1)} %) vs theoretical max (N−T)/N ${(maximum * 100).toFixed(1)} % → ${(maximum > 0 ? (offload / maximum) * 100 : 0).toFixed(1)} % of maximum`);
    console.log(`  fallbacks by reason: ${JSON.stringify(fallbacks)}; broken images: ${broken}`);
    console.log('  connections (each link once, from the asking side): NAT pair | attempts | connected | selected pair types | connect ms median');
    for (const [key, e] of [...pairs].sort()) {
      console.log(`    ${key.padEnd(18)} | ${String(e.attempts).padStart(3)} | ${String(e.ok).padStart(3)} (${((e.ok / e.attempts) * 100).toFixed(0)} %) | ${[...e.types].map(([t, n]) => `${t} ${n}`).join(', ')} | ${fmt(quantile(e.connectMs, 0.5))}`);
    }
    console.log(`  time-to-image, ms since navigation: P2P (visitors ${T + 1}–${results.length}) median ${fmt(medP2p)} p95 ${fmt(quantile(p2pLater, 0.95))} (n=${p2pLater.length}); HTTP loads of this run (not fallbacks) median ${fmt(medHttp)} p95 ${fmt(quantile(httpAll, 0.95))} (n=${httpAll.length}); P2P/HTTP median ${(medP2p / medHttp).toFixed(2)}×`);
    const connectivity = (stats.sources.signaling as { connectivity?: unknown } | undefined)?.connectivity;
    if (connectivity) console.log(`  signaling's connectivity view: ${JSON.stringify(connectivity)}`);
  } finally {
    for (const v of visitors) await v.context.close().catch(() => undefined);
    for (const browser of browsers) await browser.close().catch(() => undefined);
    await bed.close();
  }
}

await main();
