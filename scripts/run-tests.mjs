#!/usr/bin/env node
// Runs the test suite with Node's built-in runner (`node --test`, TypeScript via tsx).
//
// WebRTC stacks gather candidates on every non-loopback interface, so the whole
// suite runs inside a private network namespace (see netns.mjs).
//
//   node scripts/run-tests.mjs            all tests (unit, integration, e2e)
//   node scripts/run-tests.mjs unit       unit + integration only
//   node scripts/run-tests.mjs e2e        browser end-to-end only
//   node scripts/run-tests.mjs FILE...    just these files
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNamespace } from './netns.mjs';

const args = process.argv.slice(2);
/** The longest file (the emulated-internet E2E) takes a few minutes; a hung one is cut at this. */
const FILE_TIMEOUT_MS = 15 * 60_000;
ensureNamespace();

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (/\.(test|integration)\.ts$/.test(name)) out.push(path);
  }
  return out;
}

const all = walk('test').sort();
const isE2e = (file) => file.startsWith(join('test', 'e2e'));
let files;
if (args[0] === 'unit') files = all.filter((file) => !isE2e(file));
else if (args[0] === 'e2e') files = all.filter(isE2e);
else if (args.length > 0) files = args;
else files = all;

const result = spawnSync(process.execPath, [
  '--import', 'tsx',
  '--test',
  // One file at a time: WebRTC set-up between two Node peers in one process was
  // seen to stall when another WebRTC-heavy file ran beside it on 2 cores.
  '--test-concurrency=1',
  // A file whose process never exits (a native thread left running) is cancelled and
  // counted as a failure instead of holding the whole run until CI's limit.
  `--test-timeout=${FILE_TIMEOUT_MS}`,
  '--test-reporter=spec',
  ...files,
], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } });
process.exit(result.status ?? 1);
