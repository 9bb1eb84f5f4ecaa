import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../../proxy/app.js';
import { loadConfig } from '../../core/config/load-config.js';
import type { OptionName } from '../../core/config/options.js';
import { createLogger } from '../../core/logger.js';
import type { CountingOrigin } from './counting-origin.js';

/** The whole app (signaling, tracker, embedded seeder…) in front of a test origin. */
export async function startTestApp(origin: CountingOrigin, overrides: Partial<Record<OptionName, unknown>> = {}): Promise<RunningApp & { torrentRoute: string }> {
  const torrentRoute = await mkdtemp(join(tmpdir(), 'pc-app-torrents-'));
  const config = loadConfig({}, {
    origin: origin.url.href.replace(/\/$/, ''), port: 0, host: '127.0.0.1', logLevel: 'silent',
    torrentRoute, geoLocate: false, ...overrides,
  });
  const app = await startApp(config, createLogger('silent'));
  return {
    ...app,
    torrentRoute,
    async close() {
      await app.close();
      await rm(torrentRoute, { recursive: true, force: true });
    },
  };
}
