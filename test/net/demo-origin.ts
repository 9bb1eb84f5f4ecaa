import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetBed } from './bed.js';
import type { TestProcess } from './processes.js';

/** tsx compiles the program on start: ~1 s here, bounded for a loaded machine. */
const ORIGIN_READY_TIMEOUT_MS = 20_000;
const PROGRAM = join(dirname(fileURLToPath(import.meta.url)), 'demo-origin-program.ts');

export interface AccessLogEntry {
  method: string;
  path: string;
  userAgent: string | null;
  /** What the proxy put in X-Forwarded-For: the visitor's address as the proxy saw it. */
  forwardedFor: string | null;
}

export interface DemoOrigin {
  /** Where the proxy reaches it, e.g. `http://127.0.0.1:8081` inside `pub`. */
  url: string;
  server: TestProcess;
  accessLog(): Promise<AccessLogEntry[]>;
  stop(): Promise<void>;
}

/**
 * The demo site (proxy/demo) as its own process in the bed's public segment, on
 * pub's loopback: only the proxy next to it reaches it, as with a real origin
 * behind a reverse proxy.
 */
export async function startDemoOrigin(bed: NetBed, port: number, host = '127.0.0.1'): Promise<DemoOrigin> {
  const dir = await mkdtemp(join(tmpdir(), 'demo-origin-'));
  const logFile = join(dir, 'access.log');
  const server = bed.spawn('demo origin', bed.pub, process.execPath, ['--import', 'tsx', PROGRAM, host, String(port), logFile]);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await server.waitForOutput(/^listening /m, ORIGIN_READY_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `http://${host}:${port}`,
    server,
    async accessLog() {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AccessLogEntry);
    },
    stop,
  };
}
