import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { readTsconfig } from '../helpers/tsconfig.js';

const CLI = 'proxy/cli.ts';
const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 20_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}, until?: (stdout: string) => boolean): Promise<Run & { signalled: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cli did not finish in time\n${stdout}\n${stderr}`));
    }, START_TIMEOUT_MS + EXIT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (until && !signalled && until(stdout)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr, signalled });
    });
  });
}

test('bin: package.json points at the compiled cli, whose shebang survives the TypeScript build', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.peerconnect, 'dist/proxy/cli.js');
  const build = readTsconfig('tsconfig.build.json');
  assert.equal(`${build.compilerOptions.outDir}/${CLI.replace(/\.ts$/, '.js')}`, pkg.bin.peerconnect);
  const out = ts.transpileModule(readFileSync(CLI, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  assert.ok(out.startsWith('#!/usr/bin/env node\n'), out.slice(0, 80));
});

test('cli: --help lists every option flag, --version prints the package version, bad flags exit 2', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--origin', '--admin-token', '--admin-port', '--privacy', '--threshold']) assert.match(help.stdout, new RegExp(`${flag}\\b`));
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const version = await run(['--version']);
  assert.equal(version.stdout.trim(), pkg.version);
  const bad = await run(['--no-such-flag']);
  assert.equal(bad.code, 2);
  const badValue = await run(['--threshold', 'lots']);
  assert.equal(badValue.code, 2);
  assert.match(badValue.stderr, /threshold/);
});

test('cli: prints the URLs and a one-line P2P status, then exits 0 on SIGTERM', async () => {
  const result = await run(
    ['--port', '0', '--host', '127.0.0.1', '--seeder-mode', 'off', '--log-level', 'warn'],
    { ADMIN_TOKEN: 'cli-test-admin-token-0123456789' },
    (stdout) => /P2P (on|off)/.test(stdout),
  );
  assert.ok(result.signalled, `no status line:\n${result.stdout}\n${result.stderr}`);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /open: +http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(result.stdout, /dashboard: +http:\/\/127\.0\.0\.1:\d+\/__p2p\/dashboard\?token=<ADMIN_TOKEN>/);
  assert.match(result.stdout, /P2P on: image,video,audio · threshold 3 · signaling (ready|not ready) · seeder off .*admin: token required/);
  assert.ok(!result.stdout.includes('cli-test-admin-token-0123456789'), 'the token is never printed');
});

test('cli: SIGTERM during start-up still ends with status 0', async () => {
  // The demo origin is logged before the proxy listens: signal right then.
  const result = await run(
    ['--port', '0', '--host', '127.0.0.1', '--seeder-mode', 'off', '--log-level', 'info'],
    {},
    (stdout) => stdout.includes('no ORIGIN set'),
  );
  assert.ok(result.signalled, result.stdout);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
});
