import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The images path must stay small: it is on every page. */
const MAX_GZIP_BYTES = 15 * 1024;

test('client bundle is at most 15 KB gzip and loads WebTorrent only through import()', async () => {
  const result = await build({
    entryPoints: ['client/index.ts'], bundle: true, format: 'esm', platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'], minify: true, write: false, legalComments: 'none', logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const gzip = gzipSync(code, { level: 9 }).length;
  assert.ok(gzip <= MAX_GZIP_BYTES, `client bundle is ${gzip} bytes gzip`);
  const text = Buffer.from(code).toString('utf8');
  assert.ok(!text.includes('bittorrent'), 'WebTorrent must not be bundled into the client');
  assert.match(text, /import\(/);
});
