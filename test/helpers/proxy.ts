import { loadConfig } from '../../core/config/load-config.js';
import { startApp, type RunningApp, type StartAppOptions } from '../../proxy/app.js';
import { createLogger } from '../../core/logger.js';

/**
 * Starts the real proxy in-process on a free loopback port. `env` uses the same
 * names as production (ORIGIN, P2P_THRESHOLD…); the seeder is off and hedging
 * (P2P_HEDGE_MS) is off unless asked for — tests check where bytes come from, and
 * a hedge on a loaded machine would bring some over HTTP ('' asks for the default).
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
    ...env,
  });
  return startApp(config, createLogger(config.logLevel), options);
}
