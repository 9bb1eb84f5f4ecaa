// Proxy overhead: requests/s and p99 latency for a 100 KB static file served by a
// real nginx, fetched directly, through PeerConnect (a .bin: outside the edge
// cache, so the uncached hop), through http-proxy 1.18 (the original design's
// library) and through nginx proxy_pass; and a 100 KB image (max-age 1 h) through
// PeerConnect's edge cache and through nginx proxy_cache, both warm. Same machine,
// same load generator (wrk, else autocannon, in its own process), alternating
// rounds, medians. With redis-server installed, the same two PeerConnect rows again
// with WORKERS=2 (node:cluster workers sharing the port, on one Redis).
//
//   node --import tsx bench/proxy.bench.ts [--rounds 3] [--seconds 5] [--connections 32]
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startNginx } from '../test/helpers/nginx.js';
import { REDIS_SERVER_PATH, startRedis, type RunningRedis } from '../test/helpers/redis.js';
import { existsSync } from 'node:fs';
import { median, runLoad, type LoadResult } from './support/load.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 3);
const SECONDS = Number(values.seconds ?? 5);
const CONNECTIONS = Number(values.connections ?? 32);
// Generous: PeerConnect and its WORKERS=2 primary and workers transpile TypeScript at start, on a possibly loaded machine.
const READY_TIMEOUT_MS = 90_000;

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** One GET on a connection of its own (fetch would reuse one, and so stay on one worker). */
function getFresh(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Until every worker answers /readyz: the first answer comes while the others may
 * still be starting, and a load started then would pile the connections on the
 * ready one (connections are dealt to a free worker) and count the others' start.
 */
async function waitForWorkers(base: string, count: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const seen = new Set<string>();
  while (seen.size < count) {
    if (Date.now() > deadline) throw new Error(`${base}: ${seen.size} of ${count} workers ready`);
    try {
      const body = JSON.parse(await getFresh(`${base}/__p2p/readyz`)) as { status?: string; instance?: string };
      if (body.status === 'ready' && body.instance) seen.add(body.instance);
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const root = await mkdtemp(join(tmpdir(), 'pc-bench-proxy-'));
await writeFile(join(root, 'file-100k.bin'), randomBytes(100 * 1024));
await writeFile(join(root, 'image-100k.png'), randomBytes(100 * 1024));
// Images fresh for an hour, so both caches answer every request from their copy.
const origin = await startNginx({ root, extraConfig: 'location ~ \\.png$ { expires 1h; }' });
const originUrl = origin.url.origin;

const nginxProxyPort = await freePort();
const nginxProxy = await startNginx({
  root,
  port: nginxProxyPort,
  serverBlock: `upstream origin { server ${origin.url.host}; keepalive 64; }
  server {
    listen 127.0.0.1:{{port}};
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
});

const nginxCacheDir = await mkdtemp(join(tmpdir(), 'pc-bench-nginx-cache-'));
const nginxCachePort = await freePort();
const nginxCache = await startNginx({
  root,
  port: nginxCachePort,
  serverBlock: `upstream origin { server ${origin.url.host}; keepalive 64; }
  proxy_cache_path ${nginxCacheDir} levels=1:2 keys_zone=media:10m max_size=256m inactive=1h use_temp_path=off;
  server {
    listen 127.0.0.1:{{port}};
    location / {
      proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_cache media; proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status;
    }
  }`,
});

const peerconnectPort = await freePort();
const peerconnect = spawn(process.execPath, ['--import', 'tsx', 'proxy/cli.ts'], {
  env: { ...process.env, ORIGIN: originUrl, PORT: String(peerconnectPort), HOST: '127.0.0.1', SEEDER_MODE: 'off', LOG_LEVEL: 'info', NODE_ENV: 'production' },
  stdio: 'ignore',
});

// WORKERS=2 needs a Redis (each worker is an instance on it); the rows are skipped without redis-server.
let redis: RunningRedis | undefined;
let workers: ChildProcess | undefined;
const workersPort = await freePort();
if (existsSync(REDIS_SERVER_PATH)) {
  redis = await startRedis();
  workers = spawn(process.execPath, ['--import', 'tsx', 'proxy/cli.ts'], {
    env: { ...process.env, ORIGIN: originUrl, PORT: String(workersPort), HOST: '127.0.0.1', SEEDER_MODE: 'off', LOG_LEVEL: 'info', NODE_ENV: 'production', WORKERS: '2', REDIS_URL: redis.url, STUN_PORT: 'off' },
    stdio: 'ignore',
  });
} else {
  console.log(`no ${REDIS_SERVER_PATH}: the WORKERS=2 rows are skipped`);
}

const httpProxyPort = await freePort();
const httpProxy = fork(new URL('./support/http-proxy-server.cjs', import.meta.url).pathname, [], {
  env: { ...process.env, TARGET: originUrl, PORT: String(httpProxyPort) }, stdio: 'ignore',
});

const targets: Record<string, string> = {
  direct: `${originUrl}/file-100k.bin`,
  peerconnect: `http://127.0.0.1:${peerconnectPort}/file-100k.bin`,
  'pc-cached': `http://127.0.0.1:${peerconnectPort}/image-100k.png`,
  'http-proxy': `http://127.0.0.1:${httpProxyPort}/file-100k.bin`,
  'nginx-proxy': `http://127.0.0.1:${nginxProxyPort}/file-100k.bin`,
  'nginx-cache': `http://127.0.0.1:${nginxCachePort}/image-100k.png`,
  ...(workers ? {
    'pc-workers2': `http://127.0.0.1:${workersPort}/file-100k.bin`,
    'pc-w2-cached': `http://127.0.0.1:${workersPort}/image-100k.png`,
  } : {}),
};

/** Warms a cache and checks it answers from its copy (a bench of misses would be meaningless). */
async function assertWarm(url: string, header: string): Promise<void> {
  for (let i = 0; i < 2; i++) await (await fetch(url)).arrayBuffer();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.headers.get(header) !== 'HIT') throw new Error(`${url}: ${header} is ${res.headers.get(header)}, expected HIT`);
}

try {
  for (const url of Object.values(targets)) await waitForHttp(url);
  if (workers) await waitForWorkers(`http://127.0.0.1:${workersPort}`, 2);
  await assertWarm(targets['pc-cached'] as string, 'x-cache');
  await assertWarm(targets['nginx-cache'] as string, 'x-cache-status');
  // Each worker keeps its own edge cache: warm both (connections are dealt round robin).
  if (targets['pc-w2-cached']) for (let i = 0; i < 2; i++) await assertWarm(targets['pc-w2-cached'], 'x-cache');
  const results: Record<string, LoadResult[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of Object.entries(targets)) {
      const result = await runLoad(url, { connections: CONNECTIONS, seconds: SECONDS });
      (results[name] as LoadResult[]).push(result);
      console.log(`round ${round + 1} ${name.padEnd(12)} ${result.requestsPerSec.toFixed(0).padStart(7)} req/s  p99 ${result.p99Ms} ms  errors ${result.errors} non2xx ${result.non2xx}`);
    }
  }
  const summary = Object.fromEntries(Object.entries(results).map(([name, runs]) => [name, {
    rps: median(runs.map((r) => r.requestsPerSec)),
    p99: median(runs.map((r) => r.p99Ms)),
  }]));
  const direct = summary.direct as { rps: number; p99: number };
  console.log(`\n100 KB file (cached targets: a 100 KB image), ${CONNECTIONS} connections, ${ROUNDS}×${SECONDS}s rounds, medians:`);
  console.log('target        req/s   ×direct  p99 ms');
  for (const [name, s] of Object.entries(summary)) {
    console.log(`${name.padEnd(12)} ${s.rps.toFixed(0).padStart(7)}   ${(s.rps / direct.rps).toFixed(2).padStart(5)}   ${s.p99.toFixed(1).padStart(6)}`);
  }
  const pc = summary.peerconnect as { rps: number; p99: number };
  const hp = summary['http-proxy'] as { rps: number; p99: number };
  const ng = summary['nginx-proxy'] as { rps: number; p99: number };
  console.log(`\npeerconnect / http-proxy req/s: ${(pc.rps / hp.rps).toFixed(2)}× (target ≥ 1.30×)`);
  console.log(`peerconnect p99 / nginx proxy p99: ${(pc.p99 / ng.p99).toFixed(2)}× (target ≤ 1.50×)`);
  const cached = summary['pc-cached'] as { rps: number; p99: number };
  const nc = summary['nginx-cache'] as { rps: number; p99: number };
  console.log(`peerconnect cached / http-proxy req/s: ${(cached.rps / hp.rps).toFixed(2)}× (target ≥ 2.00×)`);
  console.log(`peerconnect cached / peerconnect uncached req/s: ${(cached.rps / pc.rps).toFixed(2)}×`);
  console.log(`peerconnect cached / nginx proxy_cache req/s: ${(cached.rps / nc.rps).toFixed(2)}×; p99 ${(cached.p99 / nc.p99).toFixed(2)}×`);
  console.log(`peerconnect cached / direct origin req/s: ${(cached.rps / direct.rps).toFixed(2)}×`);
  const w2 = summary['pc-workers2'];
  const w2Cached = summary['pc-w2-cached'];
  if (w2 && w2Cached) {
    console.log(`WORKERS=2 uncached / http-proxy req/s: ${(w2.rps / hp.rps).toFixed(2)}× (one worker: ${(pc.rps / hp.rps).toFixed(2)}×); p99 / nginx proxy p99: ${(w2.p99 / ng.p99).toFixed(2)}×`);
    console.log(`WORKERS=2 cached / http-proxy req/s: ${(w2Cached.rps / hp.rps).toFixed(2)}× (one worker: ${(cached.rps / hp.rps).toFixed(2)}×)`);
  }
} finally {
  await stop(peerconnect);
  if (workers) await stop(workers);
  await redis?.dispose();
  await stop(httpProxy);
  await nginxProxy.stop();
  await nginxCache.stop();
  await rm(nginxCacheDir, { recursive: true, force: true });
  await origin.stop();
  await rm(root, { recursive: true, force: true });
}
