import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetBed } from './bed.js';
import { runIn } from './command.js';
import type { TestProcess } from './processes.js';

export const TURN_PORT = 3478;
/** coturn listens within ~100 ms; this bounds it on a loaded machine. */
const COTURN_READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 50;

export interface CoturnOptions {
  /** Shared secret of the TURN REST API (`--static-auth-secret`). @default a random one */
  secret?: string;
  /** @default 'test.invalid' */
  realm?: string;
}

export interface Coturn {
  secret: string;
  realm: string;
  /** `stun:198.18.0.1:3478` */
  stunUrl: string;
  /** `turn:198.18.0.1:3478?transport=udp` */
  turnUrl: string;
  server: TestProcess;
  /** Its log so far (stdout), e.g. to see 401 answers. */
  log(): string;
  /** Idempotent; the bed's `close()` stops it too. */
  stop(): Promise<void>;
}

/**
 * Starts coturn in the bed's public segment with TURN REST authentication
 * (ephemeral credentials, see `mintTurnCredentials`); resolves once it listens on UDP.
 * Relaying to home LAN addresses is denied, as on a public TURN server.
 */
export async function startCoturn(bed: NetBed, options: CoturnOptions = {}): Promise<Coturn> {
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const realm = options.realm ?? 'test.invalid';
  const address = bed.pubAddress;
  // coturn writes a pid file and opens an SQLite user database at fixed default paths:
  // two beds would share them, so each instance gets its own directory.
  const dir = await mkdtemp(join(tmpdir(), 'coturn-'));
  const server = bed.spawn('coturn', bed.pub, 'turnserver', [
    '-n', `--listening-ip=${address}`, `--relay-ip=${address}`, `--listening-port=${TURN_PORT}`,
    '--min-port=49152', '--max-port=65535',
    '--use-auth-secret', `--static-auth-secret=${secret}`, `--realm=${realm}`,
    '--fingerprint', '--no-tls', '--no-dtls', '--no-cli',
    '--denied-peer-ip=198.19.0.0-198.19.255.255',
    '--log-file=stdout', '--simple-log', '--verbose',
    `--pidfile=${join(dir, 'turnserver.pid')}`, `--userdb=${join(dir, 'turndb')}`,
  ]);
  let stopped = false;
  const coturn: Coturn = {
    secret,
    realm,
    stunUrl: `stun:${address}:${TURN_PORT}`,
    turnUrl: `turn:${address}:${TURN_PORT}?transport=udp`,
    server,
    log: () => server.output,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilListening(bed.pub, server, `${address}:${TURN_PORT}`);
  } catch (error) {
    await coturn.stop();
    throw error;
  }
  return coturn;
}

async function waitUntilListening(ns: string, server: TestProcess, endpoint: string): Promise<void> {
  const deadline = Date.now() + COTURN_READY_TIMEOUT_MS;
  for (;;) {
    const sockets = await runIn(ns, 'ss', ['-Hlnu']);
    if (sockets.includes(endpoint)) return;
    if (!server.running) throw new Error(`coturn exited: ${server.output.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`coturn not listening on ${endpoint} within ${COTURN_READY_TIMEOUT_MS} ms: ${server.output.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

export interface TurnCredentials {
  username: string;
  credential: string;
}

/**
 * TURN REST API ephemeral credentials, as a service hands them to a browser:
 * username `<unix expiry>:<id>`, credential base64(HMAC-SHA1(secret, username)).
 */
export function mintTurnCredentials(secret: string, id: string, ttlSeconds = 3_600, nowMs = Date.now()): TurnCredentials {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${id}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}
