import { execFile } from 'node:child_process';

/** Upper bound for one set-up command (ip, iptables, tc, conntrack). */
export const COMMAND_TIMEOUT_MS = 10_000;

/** Runs `file args…` to completion; rejects with its stderr on a non-zero exit or after `timeoutMs`. */
export function run(file: string, args: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs a command inside network namespace `ns` (`ip netns exec`). */
export function runIn(ns: string, file: string, args: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  return run('ip', ['netns', 'exec', ns, file, ...args], timeoutMs);
}

/** `ip -n ns …`: iproute2 commands in `ns` without the cost of `ip netns exec`. */
export function ipIn(ns: string, ...args: string[]): Promise<string> {
  return run('ip', ['-n', ns, ...args]);
}
