import { spawn, type ChildProcess } from 'node:child_process';

const SEEDER_EXIT_MS = 15_000;
const POLL_MS = 250;

/**
 * The environment an operator gives an external seeder (`SEEDER_MODE=external`)
 * beside a proxy: the same origin, torrent folder and secret, plus `extra`.
 */
export function externalSeederEnv(origin: URL, app: { url: URL; torrentRoute: string }, seederToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ORIGIN: origin.href.replace(/\/$/, ''),
    PROXY_URL: app.url.href.replace(/\/$/, ''),
    P2P_TORRENT_ROUTE: app.torrentRoute,
    SEEDER_MODE: 'external',
    SEEDER_TOKEN: seederToken,
    P2P_GEO_LOCATE: 'false',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** `npm run seeder` from source: its own process, configured by env like in production. */
export class SeederProcess {
  private readonly child: ChildProcess;
  private log = '';
  private readonly exited: Promise<number | null>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'seeder/cli.ts'], {
      // DEBUG (e.g. simple-peer,bittorrent-tracker*) reaches the seeder too: its side of each offer shows in the failure output.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...(process.env.DEBUG ? { DEBUG: process.env.DEBUG } : {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  output(): string {
    return this.log;
  }

  async waitForLog(text: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.log.includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`seeder exited (${this.child.exitCode}) before "${text}"\n${this.log.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`seeder did not log "${text}" within ${ms} ms\n${this.log.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** SIGKILL: the crash case, no chance to say goodbye. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then the exit code (SIGKILL and null if it hangs). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    if (this.child.signalCode !== null) return null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), SEEDER_EXIT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
