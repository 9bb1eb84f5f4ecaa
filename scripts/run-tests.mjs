#!/usr/bin/env node
// Runs the test suite with Node's built-in runner (`node --test`, TypeScript via tsx).
//
// WebRTC stacks gather candidates on every non-loopback interface, so the whole
// suite runs inside a private network namespace made here: loopback plus one veth
// with a test address (198.18.0.1) and a default route, so that Chromium and
// node-datachannel gather a host candidate and nothing ever leaves the namespace.
//
//   node scripts/run-tests.mjs            all tests (unit, integration, e2e)
//   node scripts/run-tests.mjs unit       unit + integration only
//   node scripts/run-tests.mjs e2e        browser end-to-end only
//   node scripts/run-tests.mjs FILE...    just these files
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const NAMESPACE_MARK = 'PEERCONNECT_TEST_NETNS';
const args = process.argv.slice(2);

if (process.env[NAMESPACE_MARK] !== '1') {
  const setup = [
    'set -e',
    'ip link set lo up',
    'ip link add pc-v0 type veth peer name pc-v1',
    'ip addr add 198.18.0.1/24 dev pc-v0',
    'ip link set pc-v0 up',
    'ip link set pc-v1 up',
    'ip route add default via 198.18.0.254 dev pc-v0',
    `exec env ${NAMESPACE_MARK}=1 "$0" "$@"`,
  ].join('; ');
  const result = spawnSync('unshare', ['-n', 'bash', '-c', setup, process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  if (result.error) {
    console.error(`run-tests: cannot create a network namespace (${result.error.message}); run as root on Linux with unshare and iproute2 (npm run test:setup)`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
}

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
  '--test-concurrency=2',
  '--test-reporter=spec',
  ...files,
], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } });
process.exit(result.status ?? 1);
