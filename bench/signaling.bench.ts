// Signaling at scale: N simulated peers (ws clients in a child process, so the
// server's RSS is its own) connect to the real proxy's `/__p2p/signal`, announce
// holdings, then each asks for holders once a second while holders churn their
// `have`s. Prints, for N = 1k, 5k, 10k: connections held, messages/s handled by
// the server, reply latency, and server RSS growth per 1k peers.
//
//   node --import tsx bench/signaling.bench.ts [--sizes 1000,5000,10000] [--seconds 10] [--cpu-prof-dir DIR]
//
// Target (issue 5): 10k concurrent peers with server RSS < 1 GiB. The per-address
// limit is raised for the run, and clients bind to several loopback addresses
// (127.0.0.2–127.0.0.9) so each looks like a handful of hosts.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const CONNECT_CONCURRENCY = 200;
const CONNECT_TIMEOUT_MS = 120_000;
const CHILD_TIMEOUT_MS = 300_000;
/** Distinct assets on the simulated site; each peer holds a few. */
const ASSET_POOL = 2_000;
const ASSETS_HELD = 4;
const WANT_INTERVAL_MS = 1_000;
const CLIENT_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);

type ToChild = { cmd: 'connect'; url: string; n: number } | { cmd: 'run'; ms: number } | { cmd: 'close' };
type FromChild =
  | { kind: 'connected'; connected: number; failed: number; ms: number }
  | { kind: 'ran'; sent: number; replies: number; p50: number; p99: number; errors: number }
  | { kind: 'closed' };

const assetName = (i: number) => `asset${i % ASSET_POOL}`;

// ── child: the simulated peers ───────────────────────────────────────────────
async function child(): Promise<void> {
  const sockets: WebSocket[] = [];
  let timers: NodeJS.Timeout[] = [];
  const pending = new Map<WebSocket, number[]>();
  const latencies: number[] = [];
  let replies = 0;
  let errors = 0;
  let sent = 0;

  const send = (message: ToChild | FromChild) => process.send?.(message);

  process.on('message', async (message: ToChild) => {
    if (message.cmd === 'connect') {
      const started = Date.now();
      let failed = 0;
      let next = 0;
      const connectOne = (i: number) => new Promise<void>((resolve) => {
        const ws = new WebSocket(message.url, { localAddress: CLIENT_ADDRESSES[i % CLIENT_ADDRESSES.length] as string, perMessageDeflate: false });
        const timer = setTimeout(() => {
          failed++;
          ws.terminate();
          resolve();
        }, CONNECT_TIMEOUT_MS);
        ws.on('error', () => {});
        ws.once('unexpected-response', () => {
          clearTimeout(timer);
          failed++;
          resolve();
        });
        ws.on('message', (data) => {
          const text = data.toString();
          if (text.includes('"welcome"')) {
            clearTimeout(timer);
            sockets.push(ws);
            ws.send(JSON.stringify({ v: 1, type: 'have', assets: Array.from({ length: ASSETS_HELD }, (_, k) => assetName(i * 7 + k * 131)) }));
            resolve();
          } else if (text.includes('"holders"')) {
            replies++;
            const at = pending.get(ws)?.shift();
            if (at !== undefined) latencies.push(performance.now() - at);
          } else if (text.includes('"error"')) {
            errors++;
          }
        });
      });
      const workers = Array.from({ length: CONNECT_CONCURRENCY }, async () => {
        while (next < message.n) await connectOne(next++);
      });
      await Promise.all(workers);
      send({ kind: 'connected', connected: sockets.length, failed, ms: Date.now() - started });
    } else if (message.cmd === 'run') {
      latencies.length = 0;
      replies = 0;
      errors = 0;
      sent = 0;
      sockets.forEach((ws, i) => {
        const fire = () => {
          if (ws.readyState !== ws.OPEN) return;
          const queue = pending.get(ws) ?? [];
          pending.set(ws, queue);
          queue.push(performance.now());
          ws.send(JSON.stringify({ v: 1, type: 'want', assets: [assetName(i * 13 + sent)] }));
          sent++;
          // Churn: one in ten also announces a new holding, as a visitor finishing a download would.
          if (i % 10 === 0) {
            ws.send(JSON.stringify({ v: 1, type: 'have', assets: [assetName(i + sent)] }));
            sent++;
          }
        };
        // Spread the first sends over the interval so load is even.
        timers.push(setTimeout(() => {
          fire();
          timers.push(setInterval(fire, WANT_INTERVAL_MS));
        }, (i * WANT_INTERVAL_MS) / sockets.length));
      });
      setTimeout(() => {
        for (const timer of timers) clearInterval(timer);
        timers = [];
        // Let in-flight replies land.
        setTimeout(() => {
          const sorted = [...latencies].sort((a, b) => a - b);
          const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
          send({ kind: 'ran', sent, replies, p50: pick(0.5), p99: pick(0.99), errors });
        }, 1_000);
      }, message.ms);
    } else if (message.cmd === 'close') {
      for (const ws of sockets) ws.terminate();
      send({ kind: 'closed' });
      setTimeout(() => process.exit(0), 100);
    }
  });
}

// ── server child: the real proxy, alone in its process ───────────────────────
type ToServer = { cmd: 'stats' } | { cmd: 'close' };
interface ServerFigures { kind: 'figures'; rss: number; heapUsed: number; connections: number; messagesTotal: number; cpuMicros: number }

async function server(): Promise<void> {
  const { loadConfig } = await import('../core/config/load-config.js');
  const { startApp } = await import('../proxy/app.js');
  const { createLogger } = await import('../core/logger.js');
  const config = loadConfig({}, {
    port: 0, host: '127.0.0.1', logLevel: 'silent', seederMode: 'off',
    signalMaxPeers: 20_000, signalMaxPeersPerIp: 20_000,
  });
  const app = await startApp(config, createLogger('silent'));
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', async (message: ToServer) => {
    if (message.cmd === 'stats') {
      gc?.();
      const stats = app.signaling.stats();
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      process.send?.({
        kind: 'figures', rss: memory.rss, heapUsed: memory.heapUsed, connections: stats.connections,
        messagesTotal: stats.messagesTotal, cpuMicros: cpu.user + cpu.system,
      } satisfies ServerFigures);
    } else {
      await app.close();
      process.exit(0);
    }
  });
  process.send?.({ kind: 'listening', url: `ws://127.0.0.1:${app.url.port}${config.prefix}/signal` });
}

// ── parent: orchestrates one fresh server and one peer process per N ────────
function waitFor<T extends { kind: string }>(childProcess: ChildProcess, kind: string, timeoutMs = CHILD_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child: no ${kind} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: T) => {
      if (message.kind !== kind) return;
      clearTimeout(timer);
      childProcess.off('message', onMessage);
      resolve(message);
    };
    childProcess.on('message', onMessage);
  });
}

const mib = (bytes: number) => bytes / 2 ** 20;
const spawnRole = (role: string, execArgv: string[] = []) =>
  fork(fileURLToPath(import.meta.url), [`--${role}`], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

async function figures(serverProcess: ChildProcess): Promise<ServerFigures> {
  serverProcess.send({ cmd: 'stats' } satisfies ToServer);
  return waitFor<ServerFigures>(serverProcess, 'figures');
}

async function parent(): Promise<void> {
  const { values } = parseArgs({ options: {
    sizes: { type: 'string', default: '1000,5000,10000' },
    seconds: { type: 'string', default: '10' },
    // Writes a V8 CPU profile of each server process there (for finding hot spots).
    'cpu-prof-dir': { type: 'string' },
  } });
  const profile = values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] : [];
  const sizes = values.sizes.split(',').map(Number);
  const runMs = Number(values.seconds) * 1000;
  console.log(`signaling bench: ${sizes.join('/')} peers, ${runMs / 1000} s of want (1/s per peer) + have (1 in 10 peers) each; fresh server per N`);
  const rows: { n: number; rssMib: number }[] = [];
  for (const n of sizes) {
    const serverProcess = spawnRole('server', ['--expose-gc', ...profile]);
    const { url } = await waitFor<{ kind: 'listening'; url: string }>(serverProcess, 'listening');
    const idle = await figures(serverProcess);
    const peers = spawnRole('child');
    peers.send({ cmd: 'connect', url, n } satisfies ToChild);
    const connected = await waitFor<Extract<FromChild, { kind: 'connected' }>>(peers, 'connected');
    const held = await figures(serverProcess);
    const started = performance.now();
    peers.send({ cmd: 'run', ms: runMs } satisfies ToChild);
    const ran = await waitFor<Extract<FromChild, { kind: 'ran' }>>(peers, 'ran');
    const after = await figures(serverProcess);
    const seconds = (performance.now() - started) / 1000;
    peers.send({ cmd: 'close' } satisfies ToChild);
    await waitFor(peers, 'closed');
    serverProcess.send({ cmd: 'close' } satisfies ToServer);
    await new Promise((resolve) => serverProcess.once('exit', resolve));
    const perK = n / 1000;
    console.log([
      `N=${n}`,
      `held ${after.connections}/${n} (connect failures ${connected.failed}, ${(connected.ms / 1000).toFixed(1)} s to connect)`,
      `server ${((after.messagesTotal - held.messagesTotal) / seconds).toFixed(0)} msg/s (sent ${ran.sent}, holders replies ${ran.replies}, errors ${ran.errors})`,
      `reply p50 ${ran.p50.toFixed(1)} ms p99 ${ran.p99.toFixed(1)} ms`,
      `server CPU ${(((after.cpuMicros - held.cpuMicros) / 1e6 / seconds) * 100).toFixed(0)}% of one core`,
      `server RSS ${mib(idle.rss).toFixed(0)} MiB idle → ${mib(held.rss).toFixed(0)} MiB connected → ${mib(after.rss).toFixed(0)} MiB after run`,
      `+${(mib(held.rss - idle.rss) / perK).toFixed(1)} MiB RSS (+${(mib(held.heapUsed - idle.heapUsed) / perK).toFixed(1)} MiB heap) per 1k peers`,
    ].join(' | '));
    rows.push({ n, rssMib: mib(Math.max(held.rss, after.rss)) });
  }
  const biggest = rows.at(-1);
  if (biggest) console.log(`\npeak server RSS with ${biggest.n} peers: ${biggest.rssMib.toFixed(0)} MiB (target for 10k: < 1024 MiB)`);
}

if (process.argv.includes('--child')) await child();
else if (process.argv.includes('--server')) await server();
else await parent();
