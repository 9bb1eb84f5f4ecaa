// Several proxy instances sharing peers through Redis: 1 vs 2 vs 4 instances
// (each its own process) on one loopback Redis, with simulated signaling peers
// in a separate client process spread round robin over the instances. Per
// instance count it prints: peers held (and whether every instance's view
// agrees), RSS per instance and per 1k peers, Redis memory, relay throughput
// and latency of offer/candidate traffic between peers on different instances
// (same instance when there is only one: the baseline), and Redis commands per
// simulated page view (connect, announce, ask, leave).
//
//   node scripts/run-bench.mjs scale [--peers 4000] [--rate 5000] [--seconds 8] [--instances 1,2,4]
//
// Targets (issue 14): 50k peers across instances with each instance < 1 GiB;
// cross-instance relay p99 < 50 ms at 5k msg/s. The client raises the
// per-address limit (all peers come from loopback).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { startRedis } from '../test/helpers/redis.js';
import { ProxyProcess } from '../test/scale/proxy-process.js';

const CONNECT_CONCURRENCY = 100;
const ASSET_POOL = 2_000;
const ASSETS_HELD = 4;
/** The server's per-socket budget is 20 msg/s: each asker sends at most this many. */
const PER_PAIR_RATE = 10;
const PAGE_VIEWS = 300;
const PAGE_VIEW_CONCURRENCY = 20;
const PAGE_ASSETS = 20;
const SETTLE_MS = 120_000;

type ToChild =
  | { cmd: 'connect'; urls: string[]; n: number }
  | { cmd: 'relay'; rate: number; ms: number }
  | { cmd: 'views'; urls: string[]; n: number }
  | { cmd: 'close' };
type FromChild =
  | { kind: 'connected'; connected: number; failed: number; ms: number }
  | { kind: 'relayed'; pairs: number; sent: number; delivered: number; p50: number; p99: number; perSec: number }
  | { kind: 'viewed'; views: number; failed: number }
  | { kind: 'closed' };

// ── child: the simulated peers ───────────────────────────────────────────────
interface Peer { ws: WebSocket; id: string; instance: number; onMessage?: (m: Record<string, unknown>) => void }

function open(url: string, instance: number): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timeout'));
    }, 30_000);
    const peer: Peer = { ws, id: '', instance };
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.type === 'welcome') {
        clearTimeout(timer);
        peer.id = m.id as string;
        resolve(peer);
        return;
      }
      peer.onMessage?.(m);
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const send = (peer: Peer, message: Record<string, unknown>): void => peer.ws.send(JSON.stringify({ v: 1, ...message }));
const signalUrl = (base: string): string => `${base.replace(/^http/, 'ws').replace(/\/$/, '')}/__p2p/signal`;

async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await task(i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  }));
  return results;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] as number;
}

async function child(): Promise<void> {
  let peers: Peer[] = [];
  const reply = (message: FromChild) => process.send?.(message);
  process.on('message', async (message: ToChild) => {
    if (message.cmd === 'connect') {
      const started = performance.now();
      const results = await pool(message.n, CONNECT_CONCURRENCY, async (i) => {
        const instance = i % message.urls.length;
        const peer = await open(signalUrl(message.urls[instance] as string), instance);
        send(peer, { type: 'have', assets: Array.from({ length: ASSETS_HELD }, (_, k) => `a${(i * ASSETS_HELD + k) % ASSET_POOL}`) });
        return peer;
      });
      peers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      reply({ kind: 'connected', connected: peers.length, failed: message.n - peers.length, ms: performance.now() - started });
    } else if (message.cmd === 'relay') {
      reply(await relay(peers, message.rate, message.ms));
    } else if (message.cmd === 'views') {
      const results = await pool(message.n, PAGE_VIEW_CONCURRENCY, async (i) => {
        const peer = await open(signalUrl(message.urls[i % message.urls.length] as string), 0);
        const assets = Array.from({ length: PAGE_ASSETS }, (_, k) => `a${(i * 7 + k) % ASSET_POOL}`);
        send(peer, { type: 'want', assets: assets.slice(0, 5) });
        send(peer, { type: 'have', assets });
        send(peer, { type: 'bye' });
        await new Promise((resolve) => peer.ws.once('close', resolve));
      });
      reply({ kind: 'viewed', views: results.filter((r) => r.status === 'fulfilled').length, failed: results.filter((r) => r.status === 'rejected').length });
    } else {
      for (const peer of peers) peer.ws.terminate();
      reply({ kind: 'closed' });
      process.exit(0);
    }
  });
}

/** Pairs a holder on instance j with an asker on instance j+1, then askers send candidates at `rate` in total. */
async function relay(peers: Peer[], rate: number, ms: number): Promise<FromChild> {
  const instances = Math.max(...peers.map((p) => p.instance)) + 1;
  const wanted = Math.ceil(rate / PER_PAIR_RATE);
  const pairs: { holder: Peer; asker: Peer }[] = [];
  const byInstance = Array.from({ length: instances }, (_, i) => peers.filter((p) => p.instance === i));
  for (let k = 0; pairs.length < wanted; k++) {
    const j = k % instances;
    const holder = byInstance[j]?.[2 * Math.floor(k / instances)];
    const asker = byInstance[(j + 1) % instances]?.[2 * Math.floor(k / instances) + 1];
    if (!holder || !asker) break;
    pairs.push({ holder, asker });
  }
  const latencies: number[] = [];
  let delivered = 0;
  await pool(pairs.length, 50, async (k) => {
    const { holder, asker } = pairs[k] as { holder: Peer; asker: Peer };
    const asset = `pair${k}`;
    send(holder, { type: 'have', assets: [asset] });
    holder.onMessage = (m) => {
      if (m.type === 'candidate' && typeof m.session === 'string' && m.session.startsWith('t')) {
        latencies.push(performance.now() - Number(m.session.slice(1)) / 1000);
        delivered++;
      }
    };
    // The holding reaches the asker's instance through Redis: ask until it is there.
    for (let attempt = 0; attempt < 100; attempt++) {
      const holders = await new Promise<string[]>((resolve) => {
        asker.onMessage = (m) => {
          if (m.type === 'holders' && m.asset === asset) resolve(m.peers as string[]);
        };
        send(asker, { type: 'want', assets: [asset] });
      });
      if (holders.includes(holder.id)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    send(asker, { type: 'offer', to: holder.id, session: 'bench', sdp: 'v=0' });
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  latencies.length = 0;
  delivered = 0;
  let sent = 0;
  const tickMs = 20;
  const perTick = (rate * tickMs) / 1000;
  let carry = 0;
  let cursor = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - started >= ms) {
        clearInterval(timer);
        resolve();
        return;
      }
      carry += perTick;
      for (; carry >= 1; carry--) {
        const { holder, asker } = pairs[cursor++ % pairs.length] as { holder: Peer; asker: Peer };
        send(asker, { type: 'candidate', to: holder.id, session: `t${Math.round(performance.now() * 1000)}`, candidate: 'candidate:1 1 udp 2122260223 198.18.0.1 40000 typ host', mid: '0' });
        sent++;
      }
    }, tickMs);
  });
  const elapsed = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  latencies.sort((x, y) => x - y);
  return { kind: 'relayed', pairs: pairs.length, sent, delivered, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), perSec: (delivered / elapsed) * 1000 };
}

// ── parent: instances, Redis, figures ───────────────────────────────────────
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function statsPeers(url: URL): Promise<number> {
  const res = await fetch(new URL('/__p2p/stats', url));
  return ((await res.json()) as { peers: number }).peers;
}

async function scenario(instances: number, peerCount: number, rate: number, seconds: number): Promise<Record<string, string>> {
  const redis = await startRedis();
  const env = {
    REDIS_URL: redis.url, SEEDER_MODE: 'off', STUN_PORT: 'off', SIGNAL_MAX_PEERS_PER_IP: '1000000', SIGNAL_MAX_PEERS: '100000',
    SIGNAL_HEARTBEAT_MS: '60000', LOG_LEVEL: 'info',
  };
  // One after another: parallel start-ups on two cores only slow each other down.
  const procs: ProxyProcess[] = [];
  try {
    for (let i = 0; i < instances; i++) procs.push(await ProxyProcess.start(env));
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    await redis.dispose();
    throw err;
  }
  const client = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <K extends FromChild['kind']>(message: ToChild, kind: K): Promise<Extract<FromChild, { kind: K }>> => new Promise((resolve) => {
    const onMessage = (m: FromChild) => {
      if (m.kind !== kind) return;
      client.off('message', onMessage);
      resolve(m as Extract<FromChild, { kind: K }>);
    };
    client.on('message', onMessage);
    client.send(message);
  });
  const admin = new Redis(redis.url, { lazyConnect: true });
  await admin.connect();
  try {
    const urls = procs.map((p) => p.url.href);
    const rssBefore = procs.map((p) => rssMiB(p.pid));
    const connected = await ask({ cmd: 'connect', urls, n: peerCount }, 'connected');
    const deadline = Date.now() + SETTLE_MS;
    let views: number[] = [];
    for (;;) {
      views = await Promise.all(procs.map((p) => statsPeers(p.url)));
      if (views.every((v) => v === connected.connected) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const rssAfter = procs.map((p) => rssMiB(p.pid));
    const redisMemory = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1] ?? NaN) / 1024 / 1024;
    const relayed = await ask({ cmd: 'relay', rate, ms: seconds * 1000 }, 'relayed');
    const commandsBefore = Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))?.[1]);
    const viewed = await ask({ cmd: 'views', urls, n: PAGE_VIEWS }, 'viewed');
    const commandsAfter = Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))?.[1]);
    await ask({ cmd: 'close' }, 'closed');
    const maxRss = Math.max(...rssAfter);
    const growth = rssAfter.reduce((sum, r, i) => sum + (r - (rssBefore[i] ?? 0)), 0) / instances;
    return {
      instances: String(instances),
      'peers held': `${connected.connected}${connected.failed ? ` (${connected.failed} failed)` : ''}`,
      'every view agrees': views.every((v) => v === connected.connected) ? 'yes' : `no: ${views.join('/')}`,
      'connect s': (connected.ms / 1000).toFixed(1),
      'RSS max MiB': maxRss.toFixed(0),
      'RSS growth per 1k peers MiB': ((growth / connected.connected) * 1000).toFixed(1),
      'Redis MiB': redisMemory.toFixed(1),
      pairs: String(relayed.pairs),
      'relay msg/s': relayed.perSec.toFixed(0),
      delivered: `${relayed.delivered}/${relayed.sent}`,
      'p50 ms': relayed.p50.toFixed(2),
      'p99 ms': relayed.p99.toFixed(2),
      'Redis cmds/page view': ((commandsAfter - commandsBefore) / Math.max(1, viewed.views)).toFixed(1),
    };
  } finally {
    client.kill();
    admin.disconnect();
    await Promise.all(procs.map((p) => p.stop()));
    await redis.dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { peers: { type: 'string', default: '4000' }, rate: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '8' }, instances: { type: 'string', default: '1,2,4' } },
  });
  const counts = (values.instances as string).split(',').map(Number);
  const rows: Record<string, string>[] = [];
  for (const n of counts) {
    console.log(`… ${n} instance(s), ${values.peers} peers`);
    const row = await scenario(n, Number(values.peers), Number(values.rate), Number(values.seconds));
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  const base = rows[0] as Record<string, string>;
  for (const row of rows) {
    row['p99 / 1-instance p99'] = (Number(row['p99 ms']) / Number(base['p99 ms'])).toFixed(2);
    row['msg/s / 1-instance'] = (Number(row['relay msg/s']) / Number(base['relay msg/s'])).toFixed(2);
  }
  console.table(rows);
  console.log('Relay latency: offer/candidate from an asker to a holder, one instance apart (same instance when there is one), clock of one client process.');
  console.log('Redis cmds/page view: every command Redis processed during the page views (heartbeats included), divided by the views.');
}

if (process.argv.includes('--child')) await child();
else await main();
