import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/load-config.js';
import type { OptionName } from '../../core/config/options.js';
import { createLogger } from '../../core/logger.js';
import { PeerConnectServer } from '../../proxy/server.js';
import { SeederFeature } from '../../seeder/seeder-feature.js';
import { CountingOrigin } from './counting-origin.js';

export interface SeederHarness {
  origin: CountingOrigin;
  server: PeerConnectServer;
  seeder: SeederFeature;
  proxyUrl: URL;
  torrentRoute: string;
  close(): Promise<void>;
}

/**
 * A proxy with only the seeder feature in front of a CountingOrigin (no signaling,
 * no injector), for index, webseed and torrent tests. An origin passed in is left
 * running on close (the caller owns it).
 */
export async function startSeederHarness(options: {
  origin?: CountingOrigin;
  overrides?: Partial<Record<OptionName, unknown>>;
  freshMs?: number;
  torrentRoute?: string;
} = {}): Promise<SeederHarness> {
  const origin = options.origin ?? new CountingOrigin();
  const originUrl = origin.url ?? (await origin.listen());
  const torrentRoute = options.torrentRoute ?? (await mkdtemp(join(tmpdir(), 'pc-torrents-')));
  const config = loadConfig({}, {
    origin: originUrl.href.replace(/\/$/, ''), port: 0, host: '127.0.0.1', logLevel: 'silent',
    seederMode: 'off', torrentRoute, ...options.overrides,
  });
  const logger = createLogger('silent');
  const server = new PeerConnectServer({ config, origin: originUrl, logger });
  const seeder = new SeederFeature({ config, origin: originUrl, logger, metrics: server.metrics, routes: server.router, freshMs: options.freshMs });
  server.addFeature(seeder);
  const proxyUrl = await server.listen(0, '127.0.0.1');
  return {
    origin, server, seeder, proxyUrl, torrentRoute,
    async close() {
      await server.close();
      if (!options.origin) await origin.close();
      if (!options.torrentRoute) await rm(torrentRoute, { recursive: true, force: true });
    },
  };
}
