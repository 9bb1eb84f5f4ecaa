import { spawn, type ChildProcess } from 'node:child_process';

/** How long a stopped process gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 2_000;
/** Output kept per process, for waits and for failure messages. */
const OUTPUT_LIMIT = 64 * 1024;

const live = new Set<ChildProcess>();

// Last resort for a test that dies without its finally blocks: nothing it started may
// outlive it (a wire would keep its namespaces alive, coturn its ports).
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A long-running process started by a test; `stop()` is idempotent. */
export class TestProcess {
  readonly child: ChildProcess;
  readonly name: string;
  #output = '';
  #exited: Promise<number | null>;

  /** `env` is added to this process's own environment. */
  constructor(name: string, file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
    this.name = name;
    this.child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    live.add(this.child);
    const collect = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.#exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        collect(Buffer.from(`spawn failed: ${error.message}\n`));
        live.delete(this.child);
        resolve(null);
      });
      this.child.once('exit', (code) => {
        live.delete(this.child);
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && live.has(this.child);
  }

  /** Resolves once `pattern` shows in stdout/stderr; rejects if the process exits first or after `timeoutMs`. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.#output)) {
      if (!this.running) throw new Error(`${this.name} exited before printing ${pattern}: ${this.#output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms: ${this.#output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** SIGTERM, then SIGKILL after `STOP_GRACE_MS`; resolves once it has exited. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    await this.#exitOrKill();
  }

  /** SIGKILL at once, as a crash would end it; resolves once it has exited. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.#exited;
  }

  async #exitOrKill(): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    timer.unref();
    await this.#exited;
    clearTimeout(timer);
  }
}

/**
 * Starts `file args…` inside network namespace `ns`. `ip netns exec` and setpriv both
 * exec, so the pid is the program's own; --pdeathsig kills it if the test process dies.
 */
export function spawnInNamespace(name: string, ns: string, file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): TestProcess {
  return new TestProcess(name, 'ip', ['netns', 'exec', ns, 'setpriv', '--pdeathsig', 'KILL', '--', file, ...args], env);
}
