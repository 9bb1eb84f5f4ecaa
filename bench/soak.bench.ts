// Soak: the proxy (seeder on, embedded) in front of the demo site on nginx, run
// long enough to see leaks. Three processes, so the server's figures are its own:
// the proxy, 1,000 simulated signaling peers churning (ws), and this driver.
//
// HTTP mode (default): 10,000 page views by 200 concurrent HTTP clients — the
// page, its manifest, style sheet and images, and for the video page a Range
// request on the video and on its webseed.
// --browsers: 200 sequential visitors in real Chromium, 10 contexts at a time,
// every image checked painted (naturalWidth > 0) after scrolling the page.
//
// Printed, at start / middle / end of the load: server RSS, heap (after a GC),
// open file descriptors and sockets (/proc/<pid>/fd), event-loop lag p99; then
// the same after every client has gone (leaks), and error counts.
// Targets: heap and RSS at the end ≤ 1.2 × middle, zero errors, no more
// descriptors or sockets after the run than before it.
//
//   node scripts/run-bench.mjs soak [--views 10000] [--concurrency 200] [--peer-count 1000]
//   node scripts/run-bench.mjs soak --browsers [--visitors 200] [--contexts 10]
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';

const { values } = parseArgs({
  options: {
    server: { type: 'boolean' }, peers: { type: 'boolean' }, browsers: { type: 'boolean' },
    views: { type: 'string' }, concurrency: { type: 'string' }, 'peer-count': { type: 'string' },
    visitors: { type: 'string' }, contexts: { type: 'string' }, origin: { type: 'string' },
  },
  strict: false,
});

const VIEWS = Number(values.views ?? 10_000);
const CONCURRENCY = Number(values.concurrency ?? 200);
const PEERS = Number(values['peer-count'] ?? 1_000);
const VISITORS = Number(values.visitors ?? 200);
const CONTEXTS = Number(values.contexts ?? 10);
/** Share of the simulated peers replaced by new connections every second. */
const CHURN_PER_SEC = 0.02;
const WANT_INTERVAL_MS = 1_000;
const CLIENT_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
const PEER_CONNECT_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 30_000;
const PAGE_TIMEOUT_MS = 30_000;
/** After the clients leave: how long sockets and descriptors get to return to the start count (keep-alive timeouts are 5–10 s). */
const SETTLE_MS = 20_000;
const VIDEO_RANGE_BYTES = 64 * 1024;
const NGINX_WORKER_CONNECTIONS = 4096;
/** Page views (HTTP, 10 at a time) before the baseline, and the pause after them (the origin pool's keep-alive is 10 s). */
const WARMUP_VIEWS = 50;
const WARMUP_SETTLE_MS = 12_000;

const assetName = (i: number): string => `soak${String(i % 4_000).padStart(18, '0')}`;
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

// ── server child: the real proxy, alone in its process ───────────────────────
interface Figures { rss: number; heap: number; fds: number; sockets: number; lagP99Ms: number; errorLogs: number; warnLogs: number; socketList: string[] }
type ToServer = { cmd: 'figures'; resetLag: boolean } | { cmd: 'close' };
type FromServer = { kind: 'ready'; url: string } | ({ kind: 'figures' } & Figures) | { kind: 'closed' };

/** TCP sockets by inode, as `local -> remote state` (for naming what was left open). */
function tcpSockets(): Map<string, string> {
  const out = new Map<string, string>();
  const port = (hex: string): number => parseInt(hex.split(':')[1]!, 16);
  for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      out.set(f[9]!, `:${port(f[1]!)} -> :${port(f[2]!)} state ${f[3]}`);
    }
  }
  return out;
}

function openDescriptors(): { fds: number; sockets: number; socketList: string[] } {
  let fds = 0;
  let sockets = 0;
  const inodes: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      fds++;
      if (target.startsWith('socket:')) {
        sockets++;
        inodes.push(target.slice('socket:['.length, -1));
      }
    } catch {
      // closed while listing (the listing's own descriptor)
    }
  }
  const tcp = tcpSockets();
  return { fds, sockets, socketList: inodes.map((inode) => tcp.get(inode) ?? `inode ${inode} (not TCP)`).sort() };
}

async function server(): Promise<void> {
  const { loadConfig } = await import('../core/config/load-config.js');
  const { startApp } = await import('../proxy/app.js');
  const { createLogger } = await import('../core/logger.js');
  let errorLogs = 0;
  let warnLogs = 0;
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('"level":50') || line.includes('"level":60')) {
          errorLogs++;
          if (errorLogs <= 5) process.stderr.write(`server error log: ${line.slice(0, 400)}\n`);
        } else if (line.includes('"level":40')) {
          warnLogs++;
          if (warnLogs <= 5) process.stderr.write(`server warn log: ${line.slice(0, 400)}\n`);
        }
      }
      done();
    },
  });
  const torrentRoute = await mkdtemp(join(tmpdir(), 'pc-soak-torrents-'));
  const config = loadConfig({}, {
    origin: values.origin as string, port: 0, host: '127.0.0.1', logLevel: 'warn', torrentRoute, geoLocate: false,
    seederMode: 'embedded', signalMaxPeersPerIp: PEERS * 2, signalMaxPeers: PEERS * 4,
    // The HTTP clients stand for distinct visitors: each sends its own X-Forwarded-For, believed from loopback.
    trustProxy: ['loopback'],
  });
  const app = await startApp(config, createLogger('warn', { destination }));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const send = (message: FromServer): void => void process.send?.(message);
  process.on('message', async (message: ToServer) => {
    if (message.cmd === 'figures') {
      (globalThis as { gc?: () => void }).gc?.();
      const memory = process.memoryUsage();
      send({ kind: 'figures', rss: memory.rss, heap: memory.heapUsed, ...openDescriptors(), lagP99Ms: lag.percentile(99) / 1e6, errorLogs, warnLogs });
      if (message.resetLag) lag.reset();
    } else {
      await app.close();
      await rm(torrentRoute, { recursive: true, force: true });
      send({ kind: 'closed' });
      setTimeout(() => process.exit(0), 100);
    }
  });
  send({ kind: 'ready', url: app.url.href });
}

// ── peers child: simulated signaling peers that come and go ──────────────────
type ToPeers = { cmd: 'start'; url: string } | { cmd: 'stop' };
type FromPeers = { kind: 'started'; connected: number; ms: number } | { kind: 'stopped'; connects: number; failures: number; errorFrames: number; holdersReplies: number; closeCodes: Record<string, number> };

async function peers(): Promise<void> {
  const live = new Set<WebSocket>();
  let connects = 0;
  let failures = 0;
  let errorFrames = 0;
  let holdersReplies = 0;
  const closeCodes: Record<string, number> = {};
  let serial = 0;
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const send = (message: FromPeers): void => void process.send?.(message);

  const connectOne = (url: string): Promise<void> => new Promise((resolve) => {
    const i = serial++;
    const ws = new WebSocket(url, { localAddress: CLIENT_ADDRESSES[i % CLIENT_ADDRESSES.length]!, perMessageDeflate: false });
    let welcomed = false;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      failures++;
      closeCodes['connect timeout'] = (closeCodes['connect timeout'] ?? 0) + 1;
      ws.terminate();
      resolve();
    }, PEER_CONNECT_TIMEOUT_MS);
    ws.on('open', () => ws.send(JSON.stringify({ v: 1, type: 'hello', role: 'browser', page: url })));
    ws.on('error', () => undefined);
    ws.once('unexpected-response', (_req, res) => {
      settled = true;
      clearTimeout(timer);
      failures++;
      const key = `refused ${res.statusCode} ${String(res.headers['x-peerconnect-error'] ?? '')}`.trim();
      closeCodes[key] = (closeCodes[key] ?? 0) + 1;
      res.resume();
      resolve();
    });
    ws.on('close', (code, reason) => {
      live.delete(ws);
      if (!welcomed && !settled) {
        // Refused or reset before the welcome (not a timeout).
        settled = true;
        clearTimeout(timer);
        failures++;
        const key = `closed before welcome ${code} ${reason.toString()}`.trim();
        closeCodes[key] = (closeCodes[key] ?? 0) + 1;
        resolve();
        return;
      }
      // Closed by the server while we meant to stay: a failure.
      if (welcomed && !stopping && (ws as WebSocket & { churned?: boolean }).churned !== true) {
        failures++;
        const key = `${code} ${reason.toString()}`.trim();
        closeCodes[key] = (closeCodes[key] ?? 0) + 1;
      }
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"welcome"')) {
        welcomed = true;
        settled = true;
        clearTimeout(timer);
        connects++;
        live.add(ws);
        ws.send(JSON.stringify({ v: 1, type: 'have', assets: [assetName(i), assetName(i * 7 + 1), assetName(i * 13 + 2)] }));
        resolve();
      } else if (text.includes('"holders"')) {
        holdersReplies++;
      } else if (text.includes('"error"')) {
        errorFrames++;
        if (errorFrames <= 3) process.stderr.write(`peer error frame: ${text.slice(0, 300)}\n`);
      }
    });
  });

  process.on('message', async (message: ToPeers) => {
    if (message.cmd === 'start') {
      const started = Date.now();
      let next = 0;
      await Promise.all(Array.from({ length: 100 }, async () => {
        while (next++ < PEERS) await connectOne(message.url);
      }));
      timers.push(setInterval(() => {
        let k = 0;
        for (const ws of live) {
          if (k++ % 5 !== Math.floor(Date.now() / 1000) % 5) continue;
          ws.send(JSON.stringify({ v: 1, type: 'want', assets: [assetName(serial + k)] }));
        }
      }, WANT_INTERVAL_MS / 5));
      timers.push(setInterval(() => {
        // Churn: the oldest few leave (half politely, half by dropping), as many new ones arrive.
        const leaving = [...live].slice(0, Math.ceil(PEERS * CHURN_PER_SEC));
        leaving.forEach((ws, j) => {
          (ws as WebSocket & { churned?: boolean }).churned = true;
          live.delete(ws);
          if (j % 2 === 0) {
            ws.send(JSON.stringify({ v: 1, type: 'bye' }));
            ws.close();
          } else {
            ws.terminate();
          }
          void connectOne(message.url);
        });
      }, 1_000));
      send({ kind: 'started', connected: live.size, ms: Date.now() - started });
    } else {
      stopping = true;
      for (const timer of timers) clearInterval(timer);
      for (const ws of live) ws.terminate();
      send({ kind: 'stopped', connects, failures, errorFrames, holdersReplies, closeCodes });
      setTimeout(() => process.exit(0), 100);
    }
  });
}

// ── driver ───────────────────────────────────────────────────────────────────
function child(role: 'server' | 'peers', extra: string[] = []): ChildProcess {
  // The children see the same options (counts) as the driver.
  const options = process.argv.slice(2).filter((arg) => arg !== '--browsers');
  return fork(fileURLToPath(import.meta.url), [`--${role}`, ...options, ...extra], {
    execArgv: ['--import', 'tsx', '--trace-warnings', ...(role === 'server' ? ['--expose-gc'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next<T extends { kind: string }>(proc: ChildProcess, kind: T['kind']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => {
      proc.off('message', onMessage);
      reject(new Error(`child exited (${code}) before ${kind}`));
    };
    const onMessage = (message: T): void => {
      if (message.kind !== kind) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(message);
    };
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

async function figures(proc: ChildProcess, resetLag = true): Promise<Figures> {
  const reply = next<{ kind: 'figures' } & Figures>(proc, 'figures');
  proc.send({ cmd: 'figures', resetLag } satisfies ToServer);
  return reply;
}

function row(label: string, f: Figures): string {
  return `${label.padEnd(14)} RSS ${mib(f.rss).padStart(7)} MiB  heap ${mib(f.heap).padStart(6)} MiB  fds ${String(f.fds).padStart(5)}  sockets ${String(f.sockets).padStart(5)}  lag p99 ${f.lagP99Ms.toFixed(1).padStart(6)} ms`;
}

interface ViewErrors { count: number; samples: string[] }

/** A test-range address per simulated visitor (only ever a header value). */
function visitorAddress(i: number): string {
  return `198.18.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`;
}

function recordError(errors: ViewErrors, what: string): void {
  errors.count++;
  if (errors.samples.length < 10) {
    errors.samples.push(what);
    process.stderr.write(`  error: ${what.slice(0, 300)}\n`);
  }
}

/** One HTTP page view: what a browser without the client would fetch, plus the client's manifest. */
async function pageView(base: string, agent: Agent, n: number, errors: ViewErrors, visitor: string): Promise<void> {
  const get = async (path: string, extra: Record<string, string> = {}, expect = 200, length?: number): Promise<string> => {
    const headers = { 'x-forwarded-for': visitor, ...extra };
    try {
      const res = await request(`${base}${path}`, { dispatcher: agent, headers, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== expect) recordError(errors, `${path}: ${res.statusCode}`);
      else if (length !== undefined && body.length !== length) recordError(errors, `${path}: ${body.length} bytes, expected ${length}`);
      return body.toString('latin1');
    } catch (err) {
      recordError(errors, `${path}: ${(err as Error).message}`);
      return '';
    }
  };
  const kind = n % 10;
  if (kind < 7) {
    const html = await get('/index.html');
    if (!html.includes('/__p2p/client')) recordError(errors, '/index.html: no client injected');
    const images = [...new Set([...html.matchAll(/\/images\/[a-z0-9-]+\.(?:png|gif)/g)].map((m) => m[0]))];
    if (images.length < 20) return recordError(errors, `/index.html: ${images.length} images`);
    await get(`/__p2p/manifest?${images.slice(0, 24).map((u) => `u=${encodeURIComponent(u)}`).join('&')}`);
    await get('/style.css');
    for (let k = 0; k < 5; k++) await get(images[(n * 5 + k) % images.length]!);
  } else if (kind < 9) {
    const html = await get('/video.html');
    if (!html.includes('/__p2p/client')) recordError(errors, '/video.html: no client injected');
    const manifest = JSON.parse((await get('/__p2p/manifest?u=%2Fmedia%2Fdemo.webm')) || '{"assets":[]}') as { assets: { id?: string; size?: number }[] };
    const entry = manifest.assets[0];
    const size = entry?.size ?? 0;
    if (!entry?.id || size === 0) return recordError(errors, 'video manifest without id or size');
    const start = (n * 7919) % Math.max(1, size - VIDEO_RANGE_BYTES);
    const range = { range: `bytes=${start}-${start + VIDEO_RANGE_BYTES - 1}` };
    await get('/media/demo.webm', range, 206, VIDEO_RANGE_BYTES);
    await get(`/__p2p/seed/${entry.id}`, range, 206, VIDEO_RANGE_BYTES);
    await get('/images/poster.png');
  } else {
    await get('/about.html');
    await get('/images/photo-01.png');
    await get('/images/photo-02.png');
  }
}

async function httpSoak(base: string, server: ChildProcess): Promise<{ errors: ViewErrors; rows: [string, Figures][] }> {
  const errors: ViewErrors = { count: 0, samples: [] };
  const rows: [string, Figures][] = [];
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 5_000 });
  let started = 0;
  let done = 0;
  let middle: Promise<void> | undefined;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, worker) => {
    while (started < VIEWS) {
      const n = started++;
      await pageView(base, agent, n, errors, visitorAddress(worker));
      done++;
      if (done === Math.floor(VIEWS / 2)) middle = figures(server).then((f) => void rows.push([`middle (${done})`, f]));
      if (done % 1000 === 0) process.stdout.write(`  ${done} views, ${errors.count} errors, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }));
  await middle;
  rows.push([`end (${done})`, await figures(server)]);
  console.log(`  ${VIEWS} page views in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await agent.close();
  return { errors, rows };
}

async function browserSoak(base: string, server: ChildProcess): Promise<{ errors: ViewErrors; rows: [string, Figures][] }> {
  const { launchBrowser, newVisitor } = await import('../test/helpers/browser.js');
  const { scrollThrough, waitForImagesPainted, imageStates } = await import('../test/helpers/p2p-page.js');
  const errors: ViewErrors = { count: 0, samples: [] };
  const rows: [string, Figures][] = [];
  const browser = await launchBrowser();
  const pages = ['/index.html', '/index.html', '/about.html', '/video.html'];
  let started = 0;
  let done = 0;
  let painted = 0;
  let middle: Promise<void> | undefined;
  const t0 = Date.now();
  try {
    await Promise.all(Array.from({ length: CONTEXTS }, async () => {
      while (started < VISITORS) {
        const n = started++;
        const path = pages[n % pages.length]!;
        const context = await newVisitor(browser);
        try {
          const page = await context.newPage();
          await page.goto(`${base.replace(/\/$/, '')}${path}`, { waitUntil: 'load', timeout: PAGE_TIMEOUT_MS });
          await scrollThrough(page);
          await waitForImagesPainted(page, PAGE_TIMEOUT_MS);
          const states = await imageStates(page);
          const unpainted = states.filter((s) => !s.complete || s.width === 0);
          if (unpainted.length > 0) recordError(errors, `${path}: ${unpainted.length} images not painted`);
          painted += states.length - unpainted.length;
        } catch (err) {
          recordError(errors, `visitor ${n} ${path}: ${(err as Error).message.split('\n')[0]}`);
        } finally {
          await context.close();
        }
        done++;
        if (done === Math.floor(VISITORS / 2)) middle = figures(server).then((f) => void rows.push([`middle (${done})`, f]));
        if (done % 20 === 0) process.stdout.write(`  ${done} visitors, ${errors.count} errors, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
      }
    }));
    await middle;
    rows.push([`end (${done})`, await figures(server)]);
    console.log(`  ${VISITORS} visitors (${CONTEXTS} contexts at a time) in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${painted} images painted`);
  } finally {
    await browser.close();
  }
  return { errors, rows };
}

async function main(): Promise<void> {
  const { startNginx } = await import('../test/helpers/nginx.js');
  const { writeDemoSite } = await import('../proxy/demo/demo-site.js');
  const siteDir = await mkdtemp(join(tmpdir(), 'pc-soak-site-'));
  await writeDemoSite(siteDir);
  // More than the proxy's origin pool (256) plus the seeder's and edge cache's fetches: the origin must not be the bottleneck.
  const nginx = await startNginx({ root: siteDir, workerConnections: NGINX_WORKER_CONNECTIONS });
  const server = child('server', ['--origin', nginx.url.origin]);
  const peerProc = child('peers');
  try {
    const { url } = await next<{ kind: 'ready'; url: string }>(server, 'ready');
    const base = url.replace(/\/$/, '');
    const signalUrl = `${base.replace(/^http/, 'ws')}/__p2p/signal`;
    console.log(`soak (${values.browsers ? `${VISITORS} Chromium visitors, ${CONTEXTS} contexts at a time` : `${VIEWS} HTTP page views, ${CONCURRENCY} concurrent clients`}; ${PEERS} signaling peers churning ${CHURN_PER_SEC * 100}%/s; embedded seeder; origin nginx with the demo site)`);
    // The first requests build the index and the video torrent and start the
    // seeder's own connections: one-time sockets, so the leak baseline is taken
    // after a short warm-up (the cold figures are printed too).
    const cold = await figures(server);
    const warmAgent = new Agent({ connections: 10 });
    const warmErrors: ViewErrors = { count: 0, samples: [] };
    for (let n = 0; n < WARMUP_VIEWS; n++) await pageView(base, warmAgent, n, warmErrors, visitorAddress(n));
    await warmAgent.close();
    await new Promise((resolve) => setTimeout(resolve, WARMUP_SETTLE_MS));
    const before = await figures(server);
    const peersStarted = next<Extract<FromPeers, { kind: 'started' }>>(peerProc, 'started');
    peerProc.send({ cmd: 'start', url: signalUrl } satisfies ToPeers);
    const started = await peersStarted;
    console.log(`  ${started.connected} signaling peers connected in ${started.ms} ms`);
    const rows: [string, Figures][] = [['start', await figures(server)]];
    const run = values.browsers ? await browserSoak(base, server) : await httpSoak(base, server);
    rows.push(...run.rows);

    const stopped = next<Extract<FromPeers, { kind: 'stopped' }>>(peerProc, 'stopped');
    peerProc.send({ cmd: 'stop' } satisfies ToPeers);
    const peerTotals = await stopped;

    // Leaks: every client is gone; wait for keep-alive timeouts, then compare with the count before any load.
    const settleStart = Date.now();
    let after = await figures(server, false);
    while ((after.fds > before.fds || after.sockets > before.sockets) && Date.now() - settleStart < SETTLE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      after = await figures(server, false);
    }

    console.log('');
    console.log(`proxy at ${base}`);
    console.log(row('cold', cold));
    console.log(row('before load', before));
    for (const [label, f] of rows) console.log(row(label, f));
    console.log(row(`after (${((Date.now() - settleStart) / 1000).toFixed(0)} s)`, after));
    const extra = after.socketList.filter((s) => !before.socketList.includes(s));
    if (extra.length > 0) console.log(`sockets open after but not before: ${extra.slice(0, 20).join('; ')}`);
    const middle = rows.find(([label]) => label.startsWith('middle'))![1];
    const end = rows.find(([label]) => label.startsWith('end'))![1];
    const rssRatio = end.rss / middle.rss;
    const heapRatio = end.heap / middle.heap;
    console.log('');
    console.log(`memory end/middle: RSS ×${rssRatio.toFixed(2)}, heap ×${heapRatio.toFixed(2)} (target ≤ 1.2): ${rssRatio <= 1.2 && heapRatio <= 1.2 ? 'met' : 'MISSED'}`);
    console.log(`leaks: fds ${after.fds - before.fds >= 0 ? '+' : ''}${after.fds - before.fds}, sockets ${after.sockets - before.sockets >= 0 ? '+' : ''}${after.sockets - before.sockets} against before the load (target ≤ 0): ${after.fds <= before.fds && after.sockets <= before.sockets ? 'met' : 'MISSED'}`);
    if (warmErrors.count > 0) console.log(`warm-up errors: ${warmErrors.count} (${warmErrors.samples.join('; ')})`);
    console.log(`errors: ${run.errors.count} in the ${values.browsers ? 'visits' : 'page views'}; signaling peers ${peerTotals.connects} sessions, ${peerTotals.failures} failed or dropped, ${peerTotals.errorFrames} error frames, ${peerTotals.holdersReplies} holders replies${peerTotals.failures > 0 ? ` (closes: ${JSON.stringify(peerTotals.closeCodes)})` : ''}; server logs ${after.errorLogs} errors, ${after.warnLogs} warnings (target 0 errors): ${run.errors.count === 0 && peerTotals.failures === 0 && after.errorLogs === 0 ? 'met' : 'MISSED'}`);
    for (const sample of run.errors.samples) console.log(`  error: ${sample}`);
    const nginxErrors = (await readFile(nginx.errorLogPath, 'utf8').catch(() => '')).split('\n').filter((line) => /\[(error|crit|alert|emerg)\]/.test(line));
    console.log(`origin (nginx) error log: ${nginxErrors.length} lines${nginxErrors.length > 0 ? `, first: ${nginxErrors[0]!.slice(0, 200)}` : ''}`);
    console.log('(2-core machine shared with other test runs: lag and timings are noisy)');
  } finally {
    peerProc.kill();
    server.send({ cmd: 'close' } satisfies ToServer);
    await next(server, 'closed').catch(() => undefined);
    await nginx.stop();
    await rm(siteDir, { recursive: true, force: true });
  }
}

if (values.server) await server();
else if (values.peers) await peers();
else await main();
