import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../../core/config/options.js';
import type { Logger } from '../../core/logger.js';

/** The env var that tells a forked worker its place (1…WORKERS); worker 1 runs the embedded seeder. */
export const WORKER_INDEX_ENV = 'PEERCONNECT_WORKER';
/** What a worker sends the primary once it listens (and then nothing else). */
export const READY_MESSAGE = 'peerconnect:worker-ready';

export interface WorkerReady {
  type: typeof READY_MESSAGE;
  index: number;
  /** The lines the terminal banner shows (worker 1's are printed). */
  banner: string;
  url: string;
  origin: string;
}

/** A respawned worker that keeps dying is a bug or a broken environment, not bad luck: give up after this many in the window. */
const MAX_RESPAWNS = 5;
const RESPAWN_WINDOW_MS = 60_000;
const RESPAWN_DELAY_MS = 1_000;
/** After SIGTERM, workers get their own shutdown deadline plus this before SIGKILL. */
const KILL_GRACE_MS = 5_000;
/** A worker's configuration error exit code (cli.ts EXIT_CONFIG): retrying cannot help. */
const EXIT_CONFIG = 2;

/** This process's worker place when it is a WORKERS > 1 worker, else undefined. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(process.env[WORKER_INDEX_ENV]);
  return Number.isInteger(index) && index >= 1 ? index : undefined;
}

/**
 * A worker's configuration: the same as the primary's, except that only worker 1
 * runs the embedded seeder peer (one server-side peer per machine, offered to the
 * visitors of every worker through Redis like an external seeder).
 */
export function configForWorker(config: Config, index: number): Config {
  if (index === 1 || config.seederMode !== 'embedded') return config;
  return Object.freeze({ ...config, seederMode: 'off' as const });
}

/** In a worker: tells the primary this worker listens. */
export function reportReady(ready: Omit<WorkerReady, 'type'>): void {
  process.send?.({ type: READY_MESSAGE, ...ready } satisfies WorkerReady);
}

function isReady(message: unknown): message is WorkerReady {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === READY_MESSAGE
    && typeof (message as { banner?: unknown }).banner === 'string';
}

/**
 * The primary of WORKERS > 1: forks the workers (node:cluster, so they share
 * every listening socket they open with the same port: PORT, HTTP_PORT,
 * INTERNAL_PORT, ADMIN_PORT), waits until all listen, respawns one that dies,
 * forwards SIGHUP, and on stop SIGTERMs them all and waits (bounded) for each to
 * drain and exit. The primary itself serves nothing.
 */
export class WorkerPool {
  private readonly workers = new Map<number, Worker>();
  private readonly respawns: number[] = [];
  private stopping: Promise<number> | undefined;
  /** Resolves when the pool gave up (a worker kept dying, or failed at start): the exit code. */
  readonly failed: Promise<number>;
  private fail!: (code: number) => void;

  constructor(private readonly config: Config, private readonly logger: Logger) {
    this.failed = new Promise((resolve) => (this.fail = resolve));
  }

  /** Forks every worker; resolves with worker 1's ready message once all listen, rejects (with the exit code) if one exits first. */
  start(): Promise<WorkerReady> {
    const readies = Array.from({ length: this.config.workers }, (_, i) => this.fork(i + 1, true));
    return Promise.all(readies).then((all) => all[0] as WorkerReady);
  }

  /** `initial`: a death before ready fails the whole start; a respawn's counts as one more crash. */
  private fork(index: number, initial: boolean): Promise<WorkerReady> {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    this.workers.set(index, worker);
    return new Promise<WorkerReady>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: unknown) => {
        if (ready || !isReady(message)) return;
        ready = true;
        this.logger.info({ worker: index, pid: worker.process.pid }, 'worker ready');
        resolve(message);
      });
      worker.once('exit', (code, signal) => {
        if (this.workers.get(index) === worker) this.workers.delete(index);
        if (this.stopping) return;
        if (!ready && initial) {
          const exitCode = code === EXIT_CONFIG ? EXIT_CONFIG : 1;
          reject(Object.assign(new Error(`worker ${index} exited during start (${signal ?? `code ${code}`})`), { exitCode }));
          this.fail(exitCode);
          return;
        }
        if (!ready) reject(new Error(`worker ${index} exited during start (${signal ?? `code ${code}`})`));
        this.onCrash(index, code, signal);
      });
    });
  }

  private onCrash(index: number, code: number | null, signal: string | null): void {
    const now = Date.now();
    this.respawns.push(now);
    while ((this.respawns[0] ?? now) < now - RESPAWN_WINDOW_MS) this.respawns.shift();
    if (this.respawns.length > MAX_RESPAWNS) {
      this.logger.fatal({ worker: index, code, signal, respawns: this.respawns.length }, `workers died more than ${MAX_RESPAWNS} times in ${RESPAWN_WINDOW_MS / 1000} s: stopping`);
      this.fail(1);
      return;
    }
    this.logger.error({ worker: index, code, signal }, 'worker died: starting another');
    setTimeout(() => {
      if (this.stopping) return;
      this.fork(index, false).catch((err: unknown) => this.logger.error({ err, worker: index }, 'respawned worker failed to start'));
    }, RESPAWN_DELAY_MS).unref();
  }

  /** SIGHUP (reload TLS files) to every worker. */
  signal(name: NodeJS.Signals): void {
    for (const worker of this.workers.values()) worker.process.kill(name);
  }

  /** SIGTERM to every worker; resolves 0 when all exited cleanly in time, else 1 (stragglers are SIGKILLed). Idempotent. */
  stop(): Promise<number> {
    this.stopping ??= (async () => {
      const deadline = this.config.shutdownTimeoutMs + KILL_GRACE_MS;
      const exits = [...this.workers.entries()].map(([index, worker]) => new Promise<boolean>((resolve) => {
        if (worker.process.exitCode !== null || worker.process.signalCode !== null) return resolve(worker.process.exitCode === 0);
        const timer = setTimeout(() => {
          this.logger.error({ worker: index }, 'worker did not stop in time: killing it');
          worker.process.kill('SIGKILL');
        }, deadline);
        worker.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code === 0);
        });
        worker.process.kill('SIGTERM');
      }));
      const clean = await Promise.all(exits);
      return clean.every(Boolean) ? 0 : 1;
    })();
    return this.stopping;
  }
}
