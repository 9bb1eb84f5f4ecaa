#!/usr/bin/env node
// Runs every benchmark in bench/ one after another (each prints its own figures).
// WebRTC benchmarks need the same private network namespace as the tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const NAMESPACE_MARK = 'PEERCONNECT_TEST_NETNS';
if (process.env[NAMESPACE_MARK] !== '1') {
  const setup = 'set -e; ip link set lo up; ip link add pc-v0 type veth peer name pc-v1; ip addr add 198.18.0.1/24 dev pc-v0; ip link set pc-v0 up; ip link set pc-v1 up; ip route add default via 198.18.0.254 dev pc-v0; exec env PEERCONNECT_TEST_NETNS=1 "$0" "$@"';
  const result = spawnSync('unshare', ['-n', 'bash', '-c', setup, process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
const only = process.argv[2];
const benches = readdirSync('bench').filter((name) => name.endsWith('.bench.ts') && (!only || name.includes(only))).sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== bench/${bench} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${bench}`], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
