#!/usr/bin/env node
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

  const logger = createLogger(config.logLevel, loggerOptionsFor(config));
  // Handlers go in before anything starts: a SIGTERM during start-up (or right after
  // the banner, which is what supervisors wait for) must still close cleanly.
  let app: RunningApp | undefined;
  let stopSignal: string | undefined;
  const stop = (signal: string): void => {
    if (stopSignal) return;
    stopSignal = signal;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5_000);
    force.unref();
    // Without an app yet, start-up finishes first and then closes (below).
    app?.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  app = await startApp(config, logger);
  // SIGHUP: re-read TLS_CERT_FILE/TLS_KEY_FILE now (they are also watched); a bad pair keeps the current one.
  process.on('SIGHUP', () => {
    if (!app?.server.reloadCertificates()) logger.warn('SIGHUP: no certificate files reloaded');
  });
  if (stopSignal) {
    await app.close();
    process.exit(0);
  }
  const base = config.publicUrl ?? app.url.href.replace(/\/$/, '');
  logger.info({ url: base, origin: app.origin.href }, 'PeerConnect is running');
  const adminBase = app.stats.adminUrl ? app.stats.adminUrl.href.replace(/\/$/, '') : base;
  const status = p2pStatusLine({
    config,
    ready: { signaling: app.signaling.ready() },
    registry: app.signaling.registry instanceof InMemoryPeerRegistry ? 'in-memory' : 'shared',
    adminUrl: app.stats.adminUrl,
  });
  logger.info({ status }, 'p2p status');
  process.stdout.write(`\nPeerConnect is proxying ${app.demo ? 'the built-in demo site' : redactUrl(app.origin)}\n  open:      ${base}/\n  dashboard: ${adminBase}${config.prefix}/dashboard${config.adminToken ? '?token=<ADMIN_TOKEN>' : ''}\n  ${status}\n\n`);
  if (parsed.values.prebuild) {
    const started = Date.now();
    process.stdout.write(`pre-building torrents for ${config.videoRoute} …\n`);
    app.seeder.prebuild().then(
      (count) => process.stdout.write(`pre-built ${count} torrent${count === 1 ? '' : 's'} from ${config.videoRoute} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
      (err: unknown) => logger.error({ err }, 'prebuild failed'),
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`peerconnect: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
