#!/usr/bin/env node
import { parseArgs } from 'node:util';
import nodeDataChannel from 'node-datachannel';
import { loadConfig } from '../core/config/load-config.js';
import { ConfigError } from '../core/errors.js';
import { createLogger, loggerOptionsFor } from '../core/logger.js';
import { SeederFeature } from './seeder-feature.js';

const EXIT_CONFIG = 2;
const FORCE_EXIT_MS = 5_000;

/**
 * The seeder as its own process (`npm run seeder`, SEEDER_MODE=external on the
 * proxy): same config as the proxy, joins the proxy at PROXY_URL like any peer,
 * fetches media from ORIGIN.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { prebuild: { type: 'boolean' }, help: { type: 'boolean' } }, allowPositionals: false });
  if (values.help) {
    process.stdout.write('Usage: peerconnect-seeder [--prebuild]\nEnv: ORIGIN, PROXY_URL, SEEDER_TOKEN or ADMIN_TOKEN (required), plus the proxy\'s options (see peerconnect --help).\n');
    return;
  }
  let config;
  try {
    config = loadConfig(process.env);
    if (!config.origin) throw new ConfigError('ORIGIN: the seeder needs the origin to fetch media from (expected an http(s) URL)');
    if (!config.proxyUrl) throw new ConfigError('PROXY_URL: the seeder needs the proxy to join (expected an http(s) URL)');
    // No address is privileged: without the secret the proxy refuses the seeder role forever.
    if (config.seederToken === undefined && config.adminToken === undefined) {
      throw new ConfigError('SEEDER_TOKEN: the seeder needs the proxy\'s seeder secret (expected the SEEDER_TOKEN, or ADMIN_TOKEN, the proxy was started with)');
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`peerconnect-seeder: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  // Same scrubbing as the proxy: P2P_PRIVACY=strict masks addresses, secrets never appear.
  const logger = createLogger(config.logLevel, { name: 'peerconnect:seeder', ...loggerOptionsFor(config) });
  const seeder = new SeederFeature({ config, origin: new URL(config.origin), logger });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'seeder shutting down');
    setTimeout(() => process.exit(1), FORCE_EXIT_MS).unref();
    seeder.close().finally(() => {
      // node-datachannel keeps native threads alive until cleanup().
      nodeDataChannel.cleanup();
      process.exit(0);
    });
  };
  // Installed before joining, so a signal during start-up still closes cleanly.
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await seeder.start();
  const peer = await seeder.startPeer(new URL(config.proxyUrl));
  // Torrents the proxy builds land in the shared torrentRoute: seed them too.
  peer.watchTorrents();
  logger.info({ proxy: config.proxyUrl, origin: config.origin }, 'seeder joined the proxy');
  if (values.prebuild) void seeder.prebuild();
}

main().catch((err: unknown) => {
  process.stderr.write(`peerconnect-seeder: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
