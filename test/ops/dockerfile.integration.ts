import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { freePort } from '../helpers/nginx.js';

/**
 * No Docker engine runs here, so this plays the Dockerfile itself: every stage
 * becomes a directory, COPY copies exactly what the Dockerfile names from the
 * build context (or from an earlier stage), RUN steps run for real (`npm run
 * build`) or are mapped (`npm ci`: the checked-out node_modules is linked in,
 * so dev dependencies are present too — the one difference from the image).
 * Then the final stage's ENTRYPOINT starts with the image's ENV, its HEALTHCHECK
 * command must pass, a page must come through with the client bundle, and SIGTERM
 * must end the process with status 0. A file the runtime needs but the Dockerfile
 * does not copy fails this test.
 */

const CONTEXT = resolve('.');
const BUILD_TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const POLL_MS = 200;
const WORKDIR = '/app';

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  name: string;
  dir: string;
  env: Record<string, string>;
  entrypoint?: string[];
  healthcheck?: string[];
  user?: string;
  stopSignal?: string;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ');
      return { op: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) {
    out[match[1] as string] = match[3] ?? (match[2] as string);
  }
  return out;
}

function inStage(stage: Stage, path: string): string {
  const relative = path.startsWith(WORKDIR) ? path.slice(WORKDIR.length).replace(/^\//, '') : path;
  return join(stage.dir, relative);
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      if (output.length < 200_000) output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

/** The RUN steps this Dockerfile may use, each mapped to what it means here. */
async function runStep(stage: Stage, command: string): Promise<void> {
  const env = { PATH: `${join(stage.dir, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, HOME: stage.dir, ...stage.env };
  for (const part of command.split('&&').map((p) => p.trim())) {
    if (/^npm ci( --omit=dev)?$/.test(part)) {
      await symlink(join(CONTEXT, 'node_modules'), join(stage.dir, 'node_modules'), 'dir');
    } else if (part === 'npm cache clean --force') {
      // nothing cached here
    } else if (part === 'npm run build') {
      const result = await run('npm', ['run', 'build'], stage.dir, env, BUILD_TIMEOUT_MS);
      assert.equal(result.code, 0, `npm run build in the build stage:\n${result.output.slice(-4000)}`);
    } else if (/^mkdir -p [\w/ .-]+$/.test(part)) {
      for (const dir of part.split(/\s+/).slice(2)) await mkdir(join(stage.dir, dir), { recursive: true });
    } else if (/^chown -R node:node [\w/ .-]+$/.test(part)) {
      // ownership cannot be played without the node user; USER node is checked separately
    } else {
      assert.fail(`RUN step not understood by this test (teach it): ${part}`);
    }
  }
}

async function copy(stage: Stage, args: string, stages: Map<string, Stage>): Promise<void> {
  let from: Stage | undefined;
  let rest = args;
  const flag = /^--from=(\S+)\s+/.exec(rest);
  if (flag) {
    from = stages.get(flag[1] as string);
    assert.ok(from, `COPY --from=${flag[1]}: no such stage`);
    rest = rest.slice(flag[0].length);
  }
  const parts = rest.split(/\s+/);
  const target = parts.pop() as string;
  const targetPath = inStage(stage, target);
  for (const source of parts) {
    const sourcePath = from ? inStage(from, source) : join(CONTEXT, source);
    const destination = target.endsWith('/') || parts.length > 1 ? join(targetPath, basename(source)) : targetPath;
    await cp(sourcePath, destination, { recursive: true, dereference: false, verbatimSymlinks: true });
  }
}

async function playDockerfile(root: string): Promise<Stage> {
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  let index = 0;
  for (const { op, args } of parseDockerfile(await readFile('Dockerfile', 'utf8'))) {
    if (op === 'FROM') {
      const name = /\sAS\s+(\S+)$/i.exec(args)?.[1] ?? `stage-${index}`;
      stage = { name, dir: join(root, `${index++}-${name}`), env: {} };
      await mkdir(stage.dir, { recursive: true });
      stages.set(name, stage);
      continue;
    }
    assert.ok(stage, `${op} before FROM`);
    switch (op) {
      case 'WORKDIR':
        assert.equal(args, WORKDIR, 'this test plays WORKDIR /app only');
        break;
      case 'COPY':
        await copy(stage, args, stages);
        break;
      case 'RUN':
        await runStep(stage, args);
        break;
      case 'ENV':
        Object.assign(stage.env, parseEnv(args));
        break;
      case 'USER':
        stage.user = args;
        break;
      case 'STOPSIGNAL':
        stage.stopSignal = args;
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = JSON.parse(args) as string[];
        break;
      case 'HEALTHCHECK': {
        const cmd = /\bCMD\s+(\[.*\])$/.exec(args);
        assert.ok(cmd, 'HEALTHCHECK uses the exec form');
        stage.healthcheck = JSON.parse(cmd[1] as string) as string[];
        break;
      }
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        assert.fail(`instruction not understood by this test (teach it): ${op}`);
    }
  }
  assert.ok(stage, 'Dockerfile has a stage');
  return stage;
}

test('Dockerfile played without Docker: builds, starts as node, passes its HEALTHCHECK, serves the site, exits 0 on SIGTERM', { timeout: BUILD_TIMEOUT_MS + START_TIMEOUT_MS * 2 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'peerconnect-image-'));
  let child: ChildProcess | undefined;
  try {
    const image = await playDockerfile(root);
    assert.equal(image.user, 'node', 'the runtime stage drops root');
    assert.equal(image.stopSignal ?? 'SIGTERM', 'SIGTERM');
    assert.ok(image.entrypoint && image.healthcheck);
    assert.equal(image.entrypoint[0], 'node', 'node runs as PID 1 and handles SIGTERM itself');

    const port = await freePort();
    // The image's ENV, then what `docker run -e` would add: a port of our own, loopback, no seeder process.
    const env = { PATH: process.env.PATH ?? '', ...image.env, PORT: String(port), HOST: '127.0.0.1', SEEDER_MODE: 'off', LOG_LEVEL: 'warn' };
    assert.equal(image.env.NODE_ENV, 'production');
    const [command, ...args] = image.entrypoint as [string, ...string[]];
    child = spawn(command === 'node' ? process.execPath : command, args, { cwd: image.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child?.once('exit', (code) => resolveExit(code)));

    // HEALTHCHECK: retried as Docker does during the start period, bounded here.
    const [hcCommand, ...hcArgs] = image.healthcheck as [string, ...string[]];
    const deadline = Date.now() + START_TIMEOUT_MS;
    let healthy = false;
    while (!healthy && Date.now() < deadline && child.exitCode === null) {
      const result = await run(hcCommand === 'node' ? process.execPath : hcCommand, hcArgs, image.dir, env, 5_000);
      healthy = result.code === 0;
      if (!healthy) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    assert.ok(healthy, `HEALTHCHECK never passed:\n${output.slice(-3000)}`);

    // The built-in demo site comes through, with the client bundle built into dist/.
    const page = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    const html = await page.text();
    const script = /<script[^>]+src="([^"]*\/__p2p\/client\.[0-9a-f]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page carries the hashed client bundle');
    const bundle = await fetch(new URL(script, `http://127.0.0.1:${port}/`), { signal: AbortSignal.timeout(10_000) });
    assert.equal(bundle.status, 200);
    assert.ok((await bundle.arrayBuffer()).byteLength > 1000);

    child.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, `exit status after SIGTERM:\n${output.slice(-3000)}`);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  }
});
