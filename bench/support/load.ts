import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

export interface LoadResult {
  requestsPerSec: number;
  p99Ms: number;
  p50Ms: number;
  errors: number;
  non2xx: number;
}

const require = createRequire(import.meta.url);
const AUTOCANNON_BIN = require.resolve('autocannon/autocannon.js');

const WRK_PATH = '/usr/bin/wrk';

/**
 * Runs the load generator in its own process. Prefers Debian's wrk (C, cheap per
 * request, so the servers are what saturates) and falls back to autocannon.
 */
export async function runLoad(url: string, options: { connections: number; seconds: number }): Promise<LoadResult> {
  const { existsSync } = await import('node:fs');
  return existsSync(WRK_PATH) ? runWrk(url, options) : runAutocannon(url, options);
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

function runWrk(url: string, options: { connections: number; seconds: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(WRK_PATH, ['-t', '1', '-c', String(options.connections), '-d', `${options.seconds}s`, '--latency', url], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
      const p50 = /\s50%\s+([\d.]+)(us|ms|s)/.exec(out);
      const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      if (!rps || !p99 || !p50) return reject(new Error(`cannot read wrk output:\n${out}`));
      resolve({
        requestsPerSec: Number(rps[1]),
        p99Ms: toMs(p99[1] as string, p99[2] as string),
        p50Ms: toMs(p50[1] as string, p50[2] as string),
        errors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
        non2xx: non2xx ? Number(non2xx[1]) : 0,
      });
    });
  });
}

function runAutocannon(url: string, options: { connections: number; seconds: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AUTOCANNON_BIN, '-j', '-c', String(options.connections), '-d', String(options.seconds), url], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const json = JSON.parse(out) as {
        requests: { average: number }; latency: { p99: number; p50: number }; errors: number; non2xx: number;
      };
      resolve({ requestsPerSec: json.requests.average, p99Ms: json.latency.p99, p50Ms: json.latency.p50, errors: json.errors, non2xx: json.non2xx });
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
