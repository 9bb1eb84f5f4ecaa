#!/usr/bin/env node
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, toFlag } from '../core/config/load-config.js';
import { helpText } from '../core/config/help.js';
import { OPTIONS, type OptionName } from '../core/config/options.js';
import { ConfigError } from '../core/errors.js';
import { createLogger, loggerOptionsFor } from '../core/logger.js';
import { startApp, type RunningApp } from './app.js';
import { p2pStatusLine } from './stats/status-line.js';
import { InMemoryPeerRegistry } from './signaling/peer-registry.js';
import type { Config } from '../core/config/options.js';
import type { Logger } from '../core/logger.js';
import { configForWorker, reportReady, workerIndex, WorkerPool } from './workers/worker-pool.js';

const EXIT_CONFIG = 2;

function readVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next location (source tree vs dist/)
    }
  }
  return '0.0.0';
}

/** The origin as printed on the terminal: never its credentials. */
function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

async function main(): Promise<void> {
  const flagNames = Object.keys(OPTIONS) as OptionName[];
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        help: { type: 'boolean' },
        version: { type: 'boolean' },
        prebuild: { type: 'boolean' },
        ...Object.fromEntries(flagNames.map((name) => [toFlag(name), { type: 'string' as const }])),
      },
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`peerconnect: ${(err as Error).message}\nTry --help.\n`);
    process.exit(EXIT_CONFIG);
  }
  if (parsed.values.help) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  if (parsed.values.version) {
    process.stdout.write(readVersion() + '\n');
    return;
  }
  const overrides: Partial<Record<OptionName, unknown>> = {};
  for (const name of flagNames) {
    const value = (parsed.values as Record<string, unknown>)[toFlag(name)];
    if (value !== undefined) overrides[name] = value;
  }

  let config;
  try {
    config = loadConfig(process.env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`peerconnect: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }

  if (cluster.isPrimary && config.workers > 1) return runPrimary(config, createLogger(config.logLevel, loggerOptionsFor(config)).child({ role: 'primary' }));
  const index = workerIndex();
  if (index !== undefined) config = configForWorker(config, index);
  const baseLogger = createLogger(config.logLevel, loggerOptionsFor(config));
  const logger = index === undefined ? baseLogger : baseLogger.child({ worker: index });
  // Handlers go in before anything starts: a SIGTERM during start-up (or right after
  // the banner, which is what supervisors wait for) must still close cleanly.
  let app: RunningApp | undefined;
  let stopSignal: string | undefined;
  const shutdownTimeoutMs = config.shutdownTimeoutMs;
  const stop = (signal: string): void => {
    if (stopSignal) return;
    stopSignal = signal;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), shutdownTimeoutMs + 5_000);
    force.unref();
    // Without an app yet, start-up finishes first and then closes (below).
    app?.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // A worker whose primary is gone (killed) serves on alone no more: it drains and exits.
  if (index !== undefined) process.once('disconnect', () => stop('primary gone'));

  app = await startApp(config, logger);
  // SIGHUP: re-read TLS_CERT_FILE/TLS_KEY_FILE now (they are also watched); a bad pair keeps the current one.
  process.on('SIGHUP', () => {
    if (!app?.server.reloadCertificates()) logger.warn('SIGHUP: no certificate files reloaded');
  });
  if (stopSignal) {
    await app.close();
    process.exit(0);
  }
  const running = describeRunning(app, config);
  if (index !== undefined) {
    // The primary prints the banner once every worker listens.
    reportReady({ index, banner: running.banner, url: running.base, origin: app.origin.href });
  } else {
    logger.info({ url: running.base, origin: app.origin.href }, 'PeerConnect is running');
    logger.info({ status: running.status }, 'p2p status');
    process.stdout.write(running.banner);
  }
  if (parsed.values.prebuild && (index === undefined || index === 1)) {
    const started = Date.now();
    process.stdout.write(`pre-building torrents for ${config.videoRoute} …\n`);
    const seeder = app.seeder;
    seeder.prebuild().then(
      (count) => process.stdout.write(`pre-built ${count} torrent${count === 1 ? '' : 's'} from ${config.videoRoute} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
      (err: unknown) => logger.error({ err }, 'prebuild failed'),
    );
  }
}

/** The URL, the status line and the terminal banner of a started app. */
function describeRunning(app: RunningApp, config: Config): { base: string; status: string; banner: string } {
  const base = config.publicUrl ?? app.url.href.replace(/\/$/, '');
  const adminBase = app.stats.adminUrl ? app.stats.adminUrl.href.replace(/\/$/, '') : base;
  const status = p2pStatusLine({
    config,
    ready: { signaling: app.signaling.ready() },
    registry: app.signaling.registry instanceof InMemoryPeerRegistry ? 'in-memory' : 'shared',
    adminUrl: app.stats.adminUrl,
  });
  const banner = `\nPeerConnect is proxying ${app.demo ? 'the built-in demo site' : redactUrl(app.origin)}\n  open:      ${base}/\n  dashboard: ${adminBase}${config.prefix}/dashboard${config.adminToken ? '?token=<ADMIN_TOKEN>' : ''}\n  ${status}\n\n`;
  return { base, status, banner };
}

/**
 * WORKERS > 1: this process only forks and watches the workers (each a full
 * proxy and a Redis instance of its own) and relays signals to them.
 */
async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const pool = new WorkerPool(config, logger);
  if (config.trackerUrl === undefined && config.mediaTypes.some((kind) => kind !== 'image')) {
    logger.warn({ workers: config.workers }, 'P2P_TRACKER_URL is unset: each worker\'s embedded tracker knows only the visitors whose tracker socket it holds, so video and audio swarms split by worker (the webseed still serves everyone); point all workers at one tracker with P2P_TRACKER_URL');
  }
  let stopping = false;
  const stop = (signal: string, code = 0): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: config.workers }, 'shutting down');
    pool.stop().then((clean) => process.exit(code || clean), () => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => pool.signal('SIGHUP'));
  void pool.failed.then((code) => stop('worker failure', code));
  let ready;
  try {
    ready = await pool.start();
  } catch {
    return; // pool.failed stops the rest and exits with the worker's code
  }
  if (stopping) return;
  logger.info({ url: ready.url, origin: ready.origin, workers: config.workers }, 'PeerConnect is running');
  process.stdout.write(ready.banner.replace(/\n\n$/, `\n  workers:   ${config.workers} (node:cluster, sharing the listening sockets)\n\n`));
}

main().catch((err: unknown) => {
  process.stderr.write(`peerconnect: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
