import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { ipIn, run } from './command.js';

const created = new Set<string>();

// A test that dies without reaching its finally still removes its namespaces (the
// runner's private /run/netns would drop them too, but only when the whole run ends).
process.once('exit', () => {
  for (const name of created) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 2_000 });
    } catch {
      // already gone
    }
  }
});

/**
 * A prefix no other bed shares, even in another test file of the same run:
 * `pc` + pid + random, short so that derived names stay readable.
 */
export function uniquePrefix(): string {
  return `pc${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
}

/** `ip netns add` with loopback up. */
export async function createNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  created.add(name);
  await ipIn(name, 'link', 'set', 'lo', 'up');
}

/** Kills whatever still runs in `name` (SIGKILL), then deletes it; idempotent. */
export async function deleteNamespace(name: string): Promise<void> {
  if (!created.has(name)) return;
  const pids = await run('ip', ['netns', 'pids', name]).catch(() => '');
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  await run('ip', ['netns', 'del', name]).catch(() => undefined);
  created.delete(name);
}
