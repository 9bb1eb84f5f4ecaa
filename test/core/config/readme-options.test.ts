import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { markdownTable } from '../../../core/config/help.js';

test('README option table matches the config schema (regenerate with npm run docs)', () => {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('<!-- options:start -->');
  const end = readme.indexOf('<!-- options:end -->');
  assert.ok(start >= 0 && end > start, 'README has the option table markers');
  const documented = readme.slice(start + '<!-- options:start -->'.length, end).trim();
  assert.equal(documented, markdownTable().trim());
});

test('README starts with the two set-up commands', () => {
  const readme = readFileSync('README.md', 'utf8');
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = firstBlock.split('\n').filter((line) => line.trim() !== '').map((line) => line.replace(/\s+#.*$/, '').trim());
  assert.deepEqual(commands, ['npm ci && npm start', 'npm ci && npm run test:setup && npm test']);
  const ci = readFileSync('.ci/run', 'utf8');
  assert.ok(ci.includes('npm ci && npm run test:setup && npm test'), '.ci/run runs the README test command');
});
