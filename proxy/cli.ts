#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, toFlag } from './config/load-config.js';
import { helpText } from './config/help.js';
import { OPTIONS, type OptionName } from './config/options.js';
import { ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import { startApp } from './app.js';

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

  const logger = createLogger(config.logLevel);
  const app = await startApp(config, logger);
  const base = config.publicUrl ?? app.url.href.replace(/\/$/, '');
  logger.info({ url: base, origin: app.origin.href }, 'PeerConnect is running');
  process.stdout.write(`\nPeerConnect is proxying ${app.demo ? 'the built-in demo site' : app.origin.href}\n  open:      ${base}/\n  dashboard: ${base}${config.prefix}/dashboard\n\n`);

  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5_000);
    force.unref();
    app.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`peerconnect: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
