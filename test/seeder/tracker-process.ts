import { spawn, type ChildProcess } from 'node:child_process';

const START_MS = 60_000;
const EXIT_MS = 10_000;
const POLL_MS = 100;

export interface TrackerFact {
  event: 'start' | 'update' | 'complete' | 'stop';
  infoHash: string;
  peerId: string;
}

/** standalone-tracker.ts in its own process: an external WebTorrent tracker on loopback. */
export class TrackerProcess {
  private log = '';
  private readonly facts: TrackerFact[] = [];
  private constructor(private readonly child: ChildProcess, private readonly exited: Promise<void>) {}

  /** `ws://127.0.0.1:<port>`, what P2P_TRACKER_URL is set to. */
  url = '';

  static async start(): Promise<TrackerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/seeder/standalone-tracker.ts'], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const tracker = new TrackerProcess(child, exited);
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      tracker.log += chunk.toString();
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const fact = JSON.parse(line) as Partial<TrackerFact> & { listening?: number };
        if (fact.listening !== undefined) tracker.url = `ws://127.0.0.1:${fact.listening}`;
        else tracker.facts.push(fact as TrackerFact);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (tracker.log += chunk.toString()));
    const deadline = Date.now() + START_MS;
    while (tracker.url === '') {
      if (child.exitCode !== null) throw new Error(`tracker exited (${child.exitCode}) at start:\n${tracker.log.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`tracker not listening within ${START_MS} ms:\n${tracker.log.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return tracker;
  }

  /** Announces the tracker has processed so far. */
  announces(): readonly TrackerFact[] {
    return this.facts;
  }

  /** Waits for an announce matching `match`. */
  async waitFor(match: (fact: TrackerFact) => boolean, what: string, ms: number): Promise<TrackerFact> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.facts.find(match);
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`tracker exited before ${what}\n${this.log.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms; announces seen: ${JSON.stringify(this.facts)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** SIGTERM, SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
