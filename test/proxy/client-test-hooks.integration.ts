import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startProxy } from '../helpers/proxy.js';

const TIMEOUT_MS = 60_000;
const ROOT = resolve(import.meta.dirname, '../..');
/** Every fault the client knows; none may reach a production bundle. */
const FAULT_NAMES = ['corrupt-bytes', 'close-mid-transfer', 'throw-at-start'];

function faultTraces(code: string): string[] {
  const traces = FAULT_NAMES.filter((name) => code.includes(name));
  // `fault` as a whole word (a property or message); "default" does not count.
  if (/\bfault\b/.test(code)) traces.push('fault');
  return traces;
}

let buildDir: string;

before(async () => {
  // The build script works on its current directory: give it one whose dist/ is
  // its own, with the sources linked in, so the working tree's dist/ is untouched.
  buildDir = await mkdtemp(join(tmpdir(), 'pc-build-'));
  for (const name of ['client', 'protocol', 'proxy', 'node_modules', 'package.json']) {
    await symlink(join(ROOT, name), join(buildDir, name));
  }
});

after(async () => {
  await rm(buildDir, { recursive: true, force: true });
});

async function servedClient(clientTestHooks: boolean): Promise<string> {
  const app = await startProxy({}, { clientTestHooks });
  try {
    const res = await fetch(new URL('/__p2p/client.js', app.url), { signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.equal(res.status, 200);
    return await res.text();
  } finally {
    await app.close();
  }
}

test('npm run build: the client bundle carries no fault injection; the dashboard script is built beside it', { timeout: TIMEOUT_MS }, async () => {
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-client.mjs')], { cwd: buildDir, timeout: TIMEOUT_MS });
  const read = async (name: string): Promise<string> => {
    const manifest = JSON.parse(await readFile(join(buildDir, 'dist', name, 'manifest.json'), 'utf8')) as { file: string };
    assert.match(manifest.file, new RegExp(`^${name}\\.[0-9a-f]{12}\\.js$`));
    return readFile(join(buildDir, 'dist', name, manifest.file), 'utf8');
  };
  const client = await read('client');
  assert.ok(client.length > 10_000, 'a real client bundle');
  assert.deepEqual(faultTraces(client), []);
  const dashboard = await read('dashboard');
  assert.match(dashboard, /Bearer /);
  assert.doesNotMatch(dashboard, /<\/script/i, 'the script is inlined into the page');
});

test('the default in-process bundle serves no fault injection; the test build does', { timeout: TIMEOUT_MS }, async () => {
  assert.deepEqual(faultTraces(await servedClient(false)), []);
  // The check above means something only if the test build does carry the faults.
  assert.deepEqual(faultTraces(await servedClient(true)).sort(), [...FAULT_NAMES, 'fault'].sort());
});
