import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatsResponse } from '../../protocol/stats.js';
import type { NetBed } from './bed.js';
import { runIn } from './command.js';
import type { TestProcess } from './processes.js';

/** tsx compiles the proxy and the client bundle on start: a few seconds here. */
const PROXY_READY_TIMEOUT_MS = 45_000;
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proxy', 'cli.ts');
const ADMIN_TOKEN = 'internet-test-admin-token';

export interface PeerConnectProcess {
  /** What visitors open: `http://198.18.0.1:<port>/`. */
  url: string;
  /** The environment it was started with (besides the test runner's own). */
  env: Readonly<Record<string, string>>;
  server: TestProcess;
  /** `GET <prefix>/stats`, fetched from inside pub. */
  stats(): Promise<StatsResponse>;
  /** SIGKILL: the process dies as in a crash, sockets are cut without a close frame. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real proxy CLI (`node --import tsx proxy/cli.ts`) as a process in the bed's
 * public segment, configured the way an operator would: environment variables only.
 * Resolves once it printed its banner.
 */
export async function startPeerConnect(bed: NetBed, port: number, env: Record<string, string>): Promise<PeerConnectProcess> {
  // Hedging and the LCP image over HTTP off unless asked for ('' gives the default), as in test/helpers/proxy.ts.
  const full: Record<string, string> = { PORT: String(port), HOST: '0.0.0.0', ADMIN_TOKEN, LOG_LEVEL: 'warn', P2P_HEDGE_MS: '0', P2P_LCP_HTTP: 'false', ...env };
  const server = bed.spawn(`peerconnect :${port}`, bed.pub, process.execPath, ['--import', 'tsx', CLI], full);
  try {
    await server.waitForOutput(/PeerConnect is proxying/, PROXY_READY_TIMEOUT_MS);
  } catch (error) {
    await server.kill();
    throw error;
  }
  const local = `http://127.0.0.1:${port}`;
  return {
    url: `http://${bed.pubAddress}:${port}/`,
    env: full,
    server,
    async stats() {
      const body = await runIn(bed.pub, 'curl', ['-sf', '--max-time', '5', '-H', `authorization: Bearer ${ADMIN_TOKEN}`, `${local}/__p2p/stats`]);
      return JSON.parse(body) as StatsResponse;
    },
    kill: () => server.kill(),
    stop: () => server.stop(),
  };
}
