// HTML rewrite throughput: our streaming injector (lol-html via html-rewriter-wasm)
// against cheerio load + tag + serialize, on dense generated pages of 50 KB,
// 500 KB and 5 MB. Each (implementation, size) runs in its own child process so
// peak RSS growth is its own; both run in the same invocation, so the ratios
// compare like with like on this (shared, noisy) machine.
//
//   node --import tsx bench/rewrite.bench.ts [--rounds 5]
//
// Targets (issue 3): ≥ 5× cheerio on 500 KB, peak RSS growth ≤ 20 MB on 5 MB,
// first output byte before the last input byte. Input arrives in 16 KB chunks,
// as from a socket. Then a realistic 2 MB page (an image every ~4 KB) through a
// running proxy against the same bytes passed through it (target ≥ 0.5×);
// `--proxy-only` runs just that part.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInjector } from '../injector/index.js';
import { assetIdFor } from '../core/asset-id.js';
import { benchRewriteThroughProxy } from './support/rewrite-through-proxy.js';

type Impl = 'injector' | 'cheerio';
interface ChildResult {
  impl: Impl;
  size: number;
  mbPerSec: number;
  /** MB per second of this process's own CPU time: steadier than wall time on a loaded machine. */
  mbPerCpuSec: number;
  rssGrowthMb: number;
  firstByteBeforeLastInput?: boolean;
}

const SIZES = { '50 KB': 50 * 1024, '500 KB': 500 * 1024, '5 MB': 5 * 1024 * 1024 } as const;
const CHUNK_BYTES = 16 * 1024;
const STREAM_CHECK_BYTES = 50 * 1024 * 1024;
const CHILD_TIMEOUT_MS = 300_000;
/** Work per measurement: about this many bytes, so small pages get more iterations. */
const BYTES_PER_ROUND = 5 * 1024 * 1024;

/**
 * A dense but realistic page (a news/gallery front page): every card has an
 * image (img with srcset, or a picture), text and links; some images are
 * cross-origin ads or excluded GIFs; inline script and style in the head.
 * About one <img> per 900 bytes, several times denser than typical pages.
 */
export function makePage(bytes: number): Buffer {
  // Written straight into one Buffer: building a 50 MB string first would itself
  // peak at hundreds of MB and spoil the peak-RSS figure.
  const page = Buffer.alloc(bytes + 64 * 1024);
  let size = page.write('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bench page</title>'
    + '<style>.g{display:grid}.g img{width:100%}</style><script>window.dataLayer=[];if(1<2){}</script></head><body><main class="g">');
  const text = 'Lorem ipsum dolor sit amet, <em>consectetur</em> adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ';
  for (let i = 0; size < bytes - 200; i++) {
    const image = i % 4 === 0
      ? `<picture><source type="image/webp" srcset="/img/p${i}.webp 1x, /img/p${i}@2x.webp 2x"><img src="/img/p${i}.jpg" alt="Photo ${i}" width="320" height="240" loading="lazy"></picture>`
      : i % 4 === 1
        ? `<img src="https://cdn.other.test/ad${i}.png" alt="">`
        : i % 4 === 2
          ? `<img src="/icons/${i}.gif" alt="icon">`
          : `<img src="/inline/${i}.png" srcset="/inline/${i}.png 1x, /inline/${i}@2x.png 2x" alt="inline">`;
    size += page.write(`<article class="card"><h2><a href="/post/${i}?ref=home&amp;x=1">Post title number ${i}</a></h2>${image}`
      + `<p>${text}${text}</p><p>${text}<a href="/more/${i}">Read more</a></p><ul><li><a href="/tag/${i % 7}">Tag</a></li><li><button type="button" onclick="share(${i})">Share</button></li></ul></article>\n`, size);
  }
  size += page.write('</main><footer><p>Footer</p></footer></body></html>\n', size);
  return page.subarray(0, size);
}

function chunks(page: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < page.length; i += CHUNK_BYTES) out.push(page.subarray(i, i + CHUNK_BYTES));
  return out;
}

/** One injector run; resolves with whether output arrived before the last chunk was written. */
async function runInjector(page: Buffer): Promise<{ bytes: number; firstBeforeLast: boolean }> {
  const stream = createInjector({
    pageUrl: 'http://site.test/index.html',
    assetId: assetIdFor,
    scriptSrc: '/__p2p/client.0123456789ab.js',
    clientConfig: { v: 1, prefix: '/__p2p', peerTimeoutMs: 2000, iceServers: [], mediaTypes: ['image', 'video', 'audio'] },
    policy: () => 'http',
  });
  let bytes = 0;
  let lastWritten = false;
  let firstBeforeLast = false;
  stream.on('data', (c: Buffer) => {
    if (bytes === 0 && !lastWritten) firstBeforeLast = true;
    bytes += c.length;
  });
  const done = new Promise<void>((resolve, reject) => { stream.once('end', resolve); stream.once('error', reject); });
  const list = chunks(page);
  for (let i = 0; i < list.length; i++) {
    if (i === list.length - 1) lastWritten = true;
    // Wait for each chunk to be processed, as a socket with back-pressure would.
    await new Promise<void>((resolve, reject) => stream.write(list[i], (err) => (err ? reject(err) : resolve())));
  }
  stream.end();
  await done;
  return { bytes, firstBeforeLast };
}

async function runCheerio(page: Buffer): Promise<number> {
  const cheerio = await import('cheerio');
  const $ = cheerio.load(page.toString('utf8'));
  // The same work as the injector: tag every img and inject the client.
  $('img').each((i, el) => {
    $(el).attr('data-p2p', `${i}.image.http`);
  });
  $('head').prepend('<script src="/__p2p/client.js" defer></script>');
  return Buffer.byteLength($.html());
}

async function child(impl: Impl, size: number, rounds: number): Promise<ChildResult> {
  const page = makePage(size);
  // Warm up on a small page first (module load, JIT and wasm tier-up), so the
  // RSS growth measured is what the page size costs.
  const warmup = makePage(50 * 1024);
  for (let i = 0; i < 5; i++) {
    if (impl === 'injector') await runInjector(warmup);
    else await runCheerio(warmup);
  }
  const baseline = process.memoryUsage().rss;
  const iterations = Math.max(1, Math.round(BYTES_PER_ROUND / size));
  const speeds: number[] = [];
  const cpuSpeeds: number[] = [];
  let firstByteBeforeLastInput: boolean | undefined;
  for (let r = 0; r < rounds + 1; r++) {
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      if (impl === 'injector') {
        const result = await runInjector(page);
        firstByteBeforeLastInput ??= result.firstBeforeLast;
        if (!result.firstBeforeLast && page.length > CHUNK_BYTES) firstByteBeforeLastInput = false;
      } else {
        await runCheerio(page);
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (r > 0) { // round 0 warms up
      speeds.push((page.length * iterations) / seconds / 1e6);
      cpuSpeeds.push((page.length * iterations) / cpuSeconds / 1e6);
    }
  }
  speeds.sort((a, b) => a - b);
  cpuSpeeds.sort((a, b) => a - b);
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  return {
    impl, size,
    mbPerSec: speeds[Math.floor(speeds.length / 2)] as number,
    mbPerCpuSec: cpuSpeeds[Math.floor(cpuSpeeds.length / 2)] as number,
    rssGrowthMb: (maxRssBytes - baseline) / 1e6,
    ...(impl === 'injector' ? { firstByteBeforeLastInput } : {}),
  };
}

function runChild(impl: Impl, size: number, rounds: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', impl, String(size), String(rounds)], { execArgv: ['--import', 'tsx'] });
    const timer = setTimeout(() => { proc.kill(); reject(new Error(`${impl} ${size} timed out`)); }, CHILD_TIMEOUT_MS);
    proc.once('message', (message) => { clearTimeout(timer); resolve(message as ChildResult); });
    proc.once('exit', (code) => { clearTimeout(timer); if (code !== 0) reject(new Error(`${impl} ${size} exited ${code}`)); });
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { rounds: { type: 'string' }, child: { type: 'boolean' }, 'proxy-only': { type: 'boolean' } }, allowPositionals: true });
  if (values.child) {
    const [impl, size, rounds] = positionals;
    const result = await child(impl as Impl, Number(size), Number(rounds));
    process.send?.(result);
    return;
  }
  const rounds = Number(values.rounds ?? 5);
  if (!values['proxy-only']) await injectorTable(rounds);
  await throughProxy(rounds);
}

async function throughProxy(rounds: number): Promise<void> {
  const result = await benchRewriteThroughProxy({ bytes: 2 * 1024 * 1024, rounds, seconds: 5, connections: 4 });
  console.log(`\nrealistic ${(result.pageBytes / 1024 / 1024).toFixed(1)} MB page (${result.images} <img>, one per ${Math.round(result.pageBytes / result.images)} B) through the proxy, wrk 4 connections, median of ${rounds}×5 s:`);
  console.log(`rewritten as HTML ${result.rewriteMbPerSec.toFixed(1)} MB/s, same bytes passed through ${result.passMbPerSec.toFixed(1)} MB/s: ${(result.rewriteMbPerSec / result.passMbPerSec).toFixed(2)}× (target ≥ 0.50×)`);
  console.log(`by the proxy's own CPU time: rewritten ${result.rewriteMbPerCpuSec.toFixed(1)} MB per CPU-second, passed through ${result.passMbPerCpuSec.toFixed(1)}: ${(result.rewriteMbPerCpuSec / result.passMbPerCpuSec).toFixed(2)}×${result.socketErrors > 0 ? ` (wrk socket errors or timeouts: ${result.socketErrors})` : ''}`);
}

async function injectorTable(rounds: number): Promise<void> {
  const sample = makePage(SIZES['500 KB']).toString('latin1');
  console.log(`page mix: ${(sample.match(/<img/g) ?? []).length} <img> per 500 KB`);
  console.log(`rewrite bench: median of ${rounds} rounds of ~${BYTES_PER_ROUND / 1024 / 1024} MB each, chunks of ${CHUNK_BYTES / 1024} KB, node ${process.version}`);
  console.log('page     | injector MB/s | cheerio MB/s | ratio  | ratio by CPU time | injector RSS +MB | cheerio RSS +MB | first byte before last');
  console.log('RSS +MB = peak RSS minus RSS after warm-up (5 runs on a 50 KB page), in a fresh process per cell; ratio by CPU time = MB per CPU-second of each process (steadier when the machine is loaded)');
  for (const [label, size] of Object.entries(SIZES)) {
    const ours = await runChild('injector', size, rounds);
    const theirs = await runChild('cheerio', size, rounds);
    console.log([
      label.padEnd(8),
      ours.mbPerSec.toFixed(1).padStart(13),
      theirs.mbPerSec.toFixed(1).padStart(12),
      `${(ours.mbPerSec / theirs.mbPerSec).toFixed(1)}×`.padStart(6),
      `${(ours.mbPerCpuSec / theirs.mbPerCpuSec).toFixed(1)}×`.padStart(17),
      ours.rssGrowthMb.toFixed(1).padStart(16),
      theirs.rssGrowthMb.toFixed(1).padStart(15),
      (size <= CHUNK_BYTES ? 'n/a (one chunk)' : String(ours.firstByteBeforeLastInput)).padStart(22),
    ].join(' | '));
  }
  // Bounded memory: growth must not scale with the page (cheerio is not run: it needs GBs here).
  const big = await runChild('injector', STREAM_CHECK_BYTES, 1);
  console.log(`50 MB streamed through the injector alone: ${big.mbPerSec.toFixed(1)} MB/s, RSS +${big.rssGrowthMb.toFixed(1)} MB, first byte before last: ${String(big.firstByteBeforeLastInput)}`);
}

// Runs only as a script (the page generator is importable).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
