// The rewrite as a visitor meets it: a realistic page fetched through a running
// PeerConnect (nginx origin, wrk load), against the same bytes served as a
// non-HTML type through the same proxy (the uncached pass-through path). Both
// in one run, alternating rounds, medians; only the ratio is meaningful on a
// shared machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNginx } from '../../test/helpers/nginx.js';
import { median, runLoad } from './load.js';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
/** One image per this many bytes of page, as on a long article or a product listing. */
export const REALISTIC_IMAGE_EVERY_BYTES = 4 * 1024;

/**
 * A realistic long page: header, navigation, paragraphs of prose with links
 * and inline markup, and a same-origin image (half with srcset, some in a
 * picture) about every 4 KB — the page the target is set on.
 */
export function makeRealisticPage(bytes: number): Buffer {
  const page = Buffer.alloc(bytes + 64 * 1024);
  let size = page.write('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A long article</title>'
    + '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/css/site.css">'
    + '<script src="/js/analytics.js" async></script></head><body><header><nav><ul>'
    + Array.from({ length: 12 }, (_, i) => `<li><a href="/section/${i}">Section ${i}</a></li>`).join('')
    + '</ul></nav></header><main><article>');
  const sentence = 'The committee met on Tuesday to discuss the <a href="/topics/budget">budget</a>, and agreed that the '
    + '<em>new library</em> would open in the spring, after the roof is finished and the shelves are in. ';
  for (let i = 0; size < bytes - 200; i++) {
    const image = i % 4 === 0
      ? `<figure><picture><source type="image/webp" srcset="/media/${i}.webp 1x, /media/${i}@2x.webp 2x"><img src="/media/${i}.jpg" alt="Figure ${i}" width="800" height="450" loading="lazy"></picture><figcaption>Figure ${i}</figcaption></figure>`
      : i % 2 === 0
        ? `<p><img src="/media/${i}.jpg" srcset="/media/${i}.jpg 800w, /media/${i}-1600.jpg 1600w" sizes="(max-width: 800px) 100vw, 800px" alt="Photo ${i}" width="800" height="600" loading="lazy"></p>`
        : `<p><img src="/media/${i}.png" alt="Chart ${i}" width="640" height="400"></p>`;
    let block = `<h2 id="s${i}">Part ${i}</h2>${image}`;
    while (block.length < REALISTIC_IMAGE_EVERY_BYTES - 300) block += `<p>${sentence}${sentence}${sentence}</p>\n`;
    size += page.write(`<section class="part">${block}</section>\n`, size);
  }
  size += page.write('</article></main><footer><p>Footer</p></footer></body></html>\n', size);
  return page.subarray(0, size);
}

export interface ThroughProxyResult {
  pageBytes: number;
  images: number;
  rewriteMbPerSec: number;
  passMbPerSec: number;
  /** MB per second of the proxy process's own CPU time (steadier than wall time on a loaded machine). */
  rewriteMbPerCpuSec: number;
  passMbPerCpuSec: number;
  /** wrk socket errors (timeouts included) over all rounds. */
  socketErrors: number;
}

const CLOCK_TICKS_PER_SEC = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU seconds a process has used so far (Linux /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
}

function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const attempt = async (): Promise<void> => {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
    return attempt();
  };
  return attempt();
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

/**
 * Rounds of wrk against the page as HTML (rewritten) and as octet-stream (passed
 * through), alternating. Returns medians in MB/s of page bytes delivered.
 */
export async function benchRewriteThroughProxy(options: { bytes: number; rounds: number; seconds: number; connections: number }): Promise<ThroughProxyResult> {
  const page = makeRealisticPage(options.bytes);
  const root = await mkdtemp(join(tmpdir(), 'pc-bench-rewrite-'));
  await writeFile(join(root, 'page.html'), page);
  await writeFile(join(root, 'page.bin'), page);
  const origin = await startNginx({ root });
  const port = await freePort();
  const proxy = spawn(process.execPath, ['--import', 'tsx', 'proxy/cli.ts'], {
    env: { ...process.env, ORIGIN: origin.url.origin, PORT: String(port), HOST: '127.0.0.1', SEEDER_MODE: 'off', LOG_LEVEL: 'info', NODE_ENV: 'production' },
    stdio: 'ignore',
  });
  try {
    const html = `http://127.0.0.1:${port}/page.html`;
    const bin = `http://127.0.0.1:${port}/page.bin`;
    await waitForHttp(html);
    await waitForHttp(bin);
    // The rewrite must really happen, or the ratio means nothing.
    const sample = await (await fetch(html)).text();
    if (!sample.includes('data-p2p')) throw new Error('the page came back untagged: the bench would measure a pass-through');
    const rewrite: number[] = [];
    const pass: number[] = [];
    const rewriteCpu: number[] = [];
    const passCpu: number[] = [];
    const pid = proxy.pid as number;
    let socketErrors = 0;
    for (let round = 0; round < options.rounds; round++) {
      for (const [list, cpuList, url] of [[pass, passCpu, bin], [rewrite, rewriteCpu, html]] as const) {
        const cpuBefore = await cpuSeconds(pid);
        const result = await runLoad(url, { connections: options.connections, seconds: options.seconds });
        const cpu = (await cpuSeconds(pid)) - cpuBefore;
        if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers`);
        // wrk counts a response slower than its 2 s timeout as a socket error: on a loaded machine, reported, not fatal.
        socketErrors += result.errors;
        const megabytes = (result.requestsPerSec * options.seconds * page.length) / 1e6;
        list.push(megabytes / options.seconds);
        cpuList.push(megabytes / cpu);
      }
    }
    return {
      pageBytes: page.length,
      images: (page.toString('latin1').match(/<img/g) ?? []).length,
      rewriteMbPerSec: median(rewrite),
      passMbPerSec: median(pass),
      rewriteMbPerCpuSec: median(rewriteCpu),
      passMbPerCpuSec: median(passCpu),
      socketErrors,
    };
  } finally {
    await stop(proxy);
    await origin.stop();
    await rm(root, { recursive: true, force: true });
  }
}
