#!/usr/bin/env node
// Regenerates the README's option table from the config schema (core/config/options.ts),
// so the documentation cannot drift from what the code accepts. A test checks it.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const START = '<!-- options:start -->';
const END = '<!-- options:end -->';
const table = spawnSync(process.execPath, ['--import', 'tsx', '-e',
  "import('./core/config/help.ts').then((m) => process.stdout.write(m.markdownTable()))"], { encoding: 'utf8' });
if (table.status !== 0) {
  console.error(table.stderr);
  process.exit(1);
}
const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < 0) {
  console.error(`README.md lacks the ${START} … ${END} markers`);
  process.exit(1);
}
writeFileSync('README.md', `${readme.slice(0, start + START.length)}\n${table.stdout}\n${readme.slice(end)}`);
console.log('README.md option table updated');
