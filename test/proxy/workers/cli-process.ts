import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { within } from '../../helpers/wait.js';

/** Generous: three Node processes transpiling TypeScript at start on a loaded 2-core machine. */
const START_MS = 180_000;
const REQUEST_MS = 15_000;
const POLL_MS = 50;

/** The CLI from source in its own process, as in production (so SIGTERM and exit codes are real). */
export class CliProcess {
  log = '';
  readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'proxy/cli.ts'], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
  }

  /** Until the primary (or the one process) logs that it runs; throws if it exits first. */
  async running(): Promise<void> {
    await until(async () => {
      if (this.child.exitCode !== null) throw new Error(`proxy exited (${this.child.exitCode}) at start:\n${this.log.slice(-3000)}`);
      return this.log.includes('"msg":"PeerConnect is running"') ? true : undefined;
    }, () => `the primary says PeerConnect is running\n${this.log.slice(-3000)}`, START_MS);
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Worker pids, from the primary's "worker ready" lines. */
  workerPids(): number[] {
    return [...this.log.matchAll(/"pid":(\d+)[^\n]*"msg":"worker ready"/g)].map((match) => Number(match[1]));
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited();
  }
}

export async function until<T>(check: () => Promise<T | undefined>, what: string | (() => string), ms = REQUEST_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export interface FreshResponse { status: number; headers: IncomingHttpHeaders; body: Buffer }

/** One request on a connection of its own (fetch would reuse one and stay on one worker); `ca` for https. */
export function getFresh(url: URL, ca?: Buffer): Promise<FreshResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return within(new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  }), `GET ${url.href}`, REQUEST_MS);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
