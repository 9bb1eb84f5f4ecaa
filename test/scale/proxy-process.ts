import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../helpers/nginx.js';

/** Generous: several instances compiling TypeScript at once on a loaded 2-core machine. */
const START_MS = 180_000;
const EXIT_MS = 15_000;
const POLL_MS = 100;

/** The proxy CLI from source in its own process (so a test can SIGKILL it), configured by env as in production. */
export class ProxyProcess {
  private log = '';
  private constructor(private readonly child: ChildProcess, readonly url: URL, private readonly exited: Promise<void>) {
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
  }

  static async start(env: Record<string, string>): Promise<ProxyProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'proxy/cli.ts'], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const proc = new ProxyProcess(child, new URL(`http://127.0.0.1:${port}/`), exited);
    const deadline = Date.now() + START_MS;
    while (!proc.log.includes('PeerConnect is running')) {
      if (child.exitCode !== null) throw new Error(`proxy exited (${child.exitCode}) at start:\n${proc.log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`proxy not running within ${START_MS} ms:\n${proc.log.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  output(): string {
    return this.log;
  }

  /** SIGKILL: a crash, no goodbye to Redis. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (draining), SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
