#!/usr/bin/env node
// Runs every benchmark in bench/ one after another (each prints its own figures).
// WebRTC benchmarks need the same private network namespace as the tests (and
// bench/internet builds named namespaces of its own, which needs it too).
//   node scripts/run-bench.mjs [NAME [BENCH ARGS…]]   e.g. internet --threshold 3
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { ensureNamespace } from './netns.mjs';

ensureNamespace();
const only = process.argv[2];
const benchArgs = process.argv.slice(3);
const benches = readdirSync('bench').filter((name) => name.endsWith('.bench.ts') && (!only || name.includes(only))).sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== bench/${bench} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${bench}`, ...benchArgs], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
