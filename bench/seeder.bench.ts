// Seeder figures, all measured in this one run so the ratios compare like with like:
//  - data-channel throughput Node↔Node (a browser-like peer fetching an image from
//    the headless seeder over WebRTC) vs HTTP GET of the same bytes from the proxy
//    (webseed from the byte cache, and the proxied origin URL);
//  - /__p2p/manifest requests/s cold (each URL new: origin fetch + hash) vs warm;
//  - WebRTC setup: data channel to the seeder, and WebTorrent first wire with the
//    end-of-candidates fix (simple-peer's fallback without it is 5 s per side).
//
//   node scripts/run-bench.mjs seeder          (inside the test network namespace)
//   node --import tsx bench/seeder.bench.ts [--mb 8] [--rounds 5] [--manifest 400]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodeDataChannel from 'node-datachannel';
import { request } from 'undici';
import WebTorrent from 'webtorrent';
import type { ManifestResponse } from '../protocol/manifest.js';
import { startTestApp } from '../test/seeder/app-harness.js';
import { BrowserLikePeer } from '../test/seeder/browser-like-peer.js';
import { sha256 } from '../test/helpers/test-origin.js';
import { CountingOrigin, pseudoRandomBytes } from '../test/seeder/counting-origin.js';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '8' }, rounds: { type: 'string', default: '5' }, manifest: { type: 'string', default: '400' } },
});
const SIZE = Math.round(Number(values.mb) * 1024 * 1024);
const ROUNDS = Number(values.rounds);
const MANIFEST_URLS = Number(values.manifest);
const MANIFEST_CONCURRENCY = 16;
const DOWNLOAD_WAIT_MS = 60_000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mbps = (bytes: number, ms: number): number => bytes / 1024 / 1024 / (ms / 1000);

const origin = new CountingOrigin();
await origin.listen();
const image = pseudoRandomBytes(SIZE, 5);
origin.add('/img/large.png', image, 'image/png');
const video = pseudoRandomBytes(4 * 1024 * 1024, 6);
origin.add('/videos/clip.webm', video, 'video/webm');
for (let i = 0; i < MANIFEST_URLS; i++) origin.add(`/thumbs/t${i}.png`, pseudoRandomBytes(20_000, i + 10), 'image/png');

const app = await startTestApp(origin, {
  seederMode: 'embedded', imageMaxBytes: 64 * 1024 * 1024, cacheMaxBytes: 512 * 1024 * 1024,
  seederUploadBytesPerSec: 1024 * 1024 * 1024,
  // The cold manifest run stands for many visitors: each request names its own
  // address, so the per-address manifest budget does not throttle the figure.
  trustProxy: ['loopback'],
});
const leechDir = await mkdtemp(join(tmpdir(), 'pc-bench-leech-'));
try {
  const deadline = Date.now() + 10_000;
  while (!app.seeder.peer?.signal.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  const res = await request(new URL('/__p2p/manifest?u=/img/large.png', app.url));
  const entry = ((await res.body.json()) as ManifestResponse).assets[0]!;
  const imageUrl = new URL('/img/large.png', app.url).href;

  // ── data channel vs HTTP ────────────────────────────────────────────────
  const dc: number[] = [];
  const setups: number[] = [];
  let retries = 0;
  const webseed: number[] = [];
  const proxied: number[] = [];
  const peer = await BrowserLikePeer.connect(app.url);
  for (let round = 0; round < ROUNDS; round++) {
    const [seeder] = await peer.holders(entry.id!);
    const started = performance.now();
    const got = await peer.fetch(seeder!, entry.id!, imageUrl);
    const total = performance.now() - started;
    if (sha256(got.bytes) !== entry.sha256) throw new Error('data channel bytes differ');
    retries += got.attempts - 1;
    dc.push(mbps(SIZE, total - got.setupMs));
    setups.push(got.setupMs);

    let t = performance.now();
    const seed = await request(new URL(`/__p2p/seed/${entry.id}`, app.url));
    const seedBytes = Buffer.from(await seed.body.arrayBuffer());
    webseed.push(mbps(seedBytes.length, performance.now() - t));

    t = performance.now();
    const direct = await request(imageUrl);
    const directBytes = Buffer.from(await direct.body.arrayBuffer());
    proxied.push(mbps(directBytes.length, performance.now() - t));
  }
  peer.close();
  const dcMedian = median(dc);
  console.log(`${(SIZE / 1024 / 1024).toFixed(1)} MiB image × ${ROUNDS} rounds (median)`);
  console.log(`  data channel (seeder → Node peer) ${dcMedian.toFixed(1).padStart(7)} MB/s   setup ${median(setups).toFixed(0)} ms (test-peer retries: ${retries})`);
  console.log(`  HTTP webseed /__p2p/seed/<id>    ${median(webseed).toFixed(1).padStart(7)} MB/s   ×${(median(webseed) / dcMedian).toFixed(1)} of data channel`);
  console.log(`  HTTP proxied origin URL          ${median(proxied).toFixed(1).padStart(7)} MB/s   ×${(median(proxied) / dcMedian).toFixed(1)} of data channel`);

  // ── manifest cold vs warm ───────────────────────────────────────────────
  const urls = Array.from({ length: MANIFEST_URLS }, (_, i) => `/thumbs/t${i}.png`);
  const manifestRate = async (): Promise<number> => {
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: MANIFEST_CONCURRENCY }, async () => {
      while (next < urls.length) {
        const u = urls[next++]!;
        const visitor = `198.18.${next >> 8}.${next & 255}`;
        const r = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(u)}`, app.url), { headers: { 'x-forwarded-for': visitor } });
        await r.body.dump();
        if (r.statusCode !== 200) throw new Error(`manifest ${r.statusCode}`);
      }
    }));
    return urls.length / ((performance.now() - started) / 1000);
  };
  const cold = await manifestRate();
  const warm = await manifestRate();
  console.log(`manifest, ${MANIFEST_URLS} URLs of 20 KB, ${MANIFEST_CONCURRENCY} concurrent`);
  console.log(`  cold (origin fetch + sha256)  ${cold.toFixed(0).padStart(7)} req/s`);
  console.log(`  warm (index hit)              ${warm.toFixed(0).padStart(7)} req/s   ×${(warm / cold).toFixed(1)} of cold`);

  // ── WebTorrent first wire with the end-of-candidates fix ─────────────────
  const vres = await request(new URL('/__p2p/manifest?u=/videos/clip.webm', app.url));
  const infoHash = ((await vres.body.json()) as ManifestResponse).assets[0]!.infoHash!;
  const tdeadline = Date.now() + 20_000;
  while (!app.seeder.peer?.torrentSeeder.infoHashes.includes(infoHash) && Date.now() < tdeadline) await new Promise((r) => setTimeout(r, 25));
  const tres = await request(new URL(`/__p2p/torrents/${infoHash}.torrent`, app.url));
  const torrentFile = Buffer.from(await tres.body.arrayBuffer());
  const client = new WebTorrent({
    dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false, webSeeds: false,
    tracker: { rtcConfig: { iceServers: [] } },
  });
  const started = performance.now();
  const { firstWire, done } = await new Promise<{ firstWire: number; done: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('WebTorrent download timed out')), DOWNLOAD_WAIT_MS);
    let firstWire = Number.NaN;
    const torrent = client.add(torrentFile, { path: leechDir });
    torrent.on('wire', () => { if (Number.isNaN(firstWire)) firstWire = performance.now() - started; });
    torrent.once('done', () => {
      clearTimeout(timer);
      resolve({ firstWire, done: performance.now() - started });
    });
  });
  console.log('WebTorrent (Node leecher ← seeder over WebRTC, webseed off), 4 MiB video');
  console.log(`  first wire ${firstWire.toFixed(0)} ms, complete ${done.toFixed(0)} ms (${mbps(video.length, done).toFixed(1)} MB/s)`);
  await new Promise<void>((resolve) => client.destroy(() => resolve()));
} finally {
  await app.close();
  await origin.close();
  await rm(leechDir, { recursive: true, force: true });
  nodeDataChannel.cleanup();
}
