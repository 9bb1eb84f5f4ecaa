// /__p2p/manifest under a flood of distinct URLs from many addresses, all in one run:
//  - memory: heap and RSS after each step of the flood (flat = bounded), with the
//    index's record/alias counts and the origin's most concurrent fetches;
//  - answers: how many URLs were indexed, refused by the global origin-fetch gate
//    (origin-error) or by the per-address budget (429);
//  - a visitor's manifest for a URL the index holds: latency during the flood
//    against the same request with the proxy idle (ratio).
//
//   node --expose-gc --import tsx bench/manifest-flood.bench.ts [--steps 6] [--urls 10000]
import { parseArgs } from 'node:util';
import { request } from 'undici';
import type { ManifestResponse } from '../protocol/manifest.js';
import { MAX_MANIFEST_URLS } from '../protocol/manifest.js';
import { startTestApp } from '../test/seeder/app-harness.js';
import { CountingOrigin, pseudoRandomBytes } from '../test/seeder/counting-origin.js';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '6' }, urls: { type: 'string', default: '10000' } } });
const STEPS = Number(values.steps);
const URLS_PER_STEP = Number(values.urls);
const CONCURRENCY = 32;
const PROBES = 40;

const origin = new CountingOrigin();
await origin.listen();
// Every path exists (a catch-all site): each new URL really costs an origin fetch.
origin.fallback = { body: pseudoRandomBytes(2_000, 1), contentType: 'image/png' };
origin.add('/img/known.png', pseudoRandomBytes(20_000, 2), 'image/png');
// An origin that takes a little while per file, as a real one does: fetches overlap.
origin.delayMs = 20;
const app = await startTestApp(origin, { trustProxy: ['loopback'], seederMode: 'off' });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;

async function manifest(urls: string[], from: string): Promise<{ status: number; body: ManifestResponse }> {
  const query = urls.map((u) => `u=${encodeURIComponent(u)}`).join('&');
  const res = await request(new URL(`/__p2p/manifest?${query}`, app.url), { headers: { 'x-forwarded-for': from } });
  return { status: res.statusCode, body: (await res.body.json()) as ManifestResponse };
}

async function probeMs(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    const started = performance.now();
    const { status } = await manifest(['/img/known.png'], '198.19.0.1');
    if (status !== 200) throw new Error(`probe answered ${status}`);
    times.push(performance.now() - started);
  }
  return times;
}

let serial = 0;
const counts = { indexed: 0, gateRefused: 0, budgetRefused: 0 };
async function floodStep(): Promise<void> {
  let sent = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (sent < URLS_PER_STEP) {
      sent += MAX_MANIFEST_URLS;
      const n = serial++;
      // 16 addresses, each reused: they run into the per-address budget as well as the global gate.
      const from = `198.18.0.${n & 15}`;
      const urls = Array.from({ length: MAX_MANIFEST_URLS }, (_, i) => `/flood/${n}-${i}.png`);
      const { status, body } = await manifest(urls, from);
      if (status === 429) {
        counts.budgetRefused += urls.length;
        continue;
      }
      for (const entry of body.assets) {
        if (entry.sha256) counts.indexed++;
        else if (entry.error === 'origin-error') counts.gateRefused++;
      }
    }
  }));
}

function memory(): { heap: number; rss: number } {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

try {
  await manifest(['/img/known.png'], '198.19.0.1');
  const idle = await probeMs();
  const start = memory();
  console.log(`manifest flood: ${STEPS} steps of ${URLS_PER_STEP} distinct URLs, ${CONCURRENCY} concurrent requests of ${MAX_MANIFEST_URLS} URLs${gc ? '' : ' (no --expose-gc: heap figures include garbage)'}`);
  console.log(`  start: heap ${mib(start.heap)} MiB, RSS ${mib(start.rss)} MiB`);
  const during: number[] = [];
  const heaps: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const probing = (async () => { for (const t of await probeMs()) during.push(t); })();
    await floodStep();
    await probing;
    const m = memory();
    heaps.push(m.heap);
    const sizes = app.seeder.index.sizes;
    console.log(`  after ${step * URLS_PER_STEP} URLs: heap ${mib(m.heap)} MiB, RSS ${mib(m.rss)} MiB, records ${sizes.records}, aliases ${sizes.aliases}, in flight ${sizes.inflight}, origin fetches at once (max) ${origin.maxActive}`);
  }
  const total = STEPS * URLS_PER_STEP;
  console.log(`  URLs: ${counts.indexed} indexed, ${counts.gateRefused} refused by the origin-fetch gate, ${counts.budgetRefused} refused by the per-address budget (of ${total}); origin GETs ${origin.totalHits}`);
  const half = heaps[Math.floor(heaps.length / 2) - 1] ?? heaps[0]!;
  console.log(`  heap end / middle ${(heaps[heaps.length - 1]! / half).toFixed(2)}× (flat ≈ 1)`);
  console.log(`  a visitor's manifest (indexed URL): idle p50 ${median(idle).toFixed(1)} ms, during the flood p50 ${median(during).toFixed(1)} ms (×${(median(during) / median(idle)).toFixed(1)})`);
} finally {
  await app.close();
  await origin.close();
}
