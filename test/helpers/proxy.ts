import { loadConfig } from '../../core/config/load-config.js';
import { startApp, type RunningApp, type StartAppOptions } from '../../proxy/app.js';
import { createLogger } from '../../core/logger.js';

/**
 * Starts the real proxy in-process on a free loopback port. `env` uses the same
 * names as production (ORIGIN, P2P_THRESHOLD…); the seeder, hedging (P2P_HEDGE_MS)
 * and the LCP image over HTTP (P2P_LCP_HTTP) are off unless asked for — tests check
 * where bytes come from, and both bring some over HTTP ('' asks for the default).
 * `options.clientTestHooks` serves the client's test build, which obeys the
 * config block's `fault` flag; every other test runs the production client.
 */
export async function startProxy(env: Record<string, string> = {}, options: StartAppOptions = {}): Promise<RunningApp> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SEEDER_MODE: 'off',
    P2P_HEDGE_MS: '0',
    P2P_LCP_HTTP: 'false',
    ...env,
  });
  return startApp(config, createLogger(config.logLevel), options);
}
