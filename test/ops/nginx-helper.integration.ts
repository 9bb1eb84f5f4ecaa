import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx } from '../helpers/nginx.js';

test('nginx helper serves a directory on loopback, logs access, and stops', async () => {
  const root = await mkdtemp(join(tmpdir(), 'peerconnect-site-'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>legacy</title><p>hello</p>');
  const nginx = await startNginx({ root, extraConfig: 'add_header x-test-extra yes;' });
  try {
    const res = await fetch(nginx.url, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html');
    assert.equal(res.headers.get('x-test-extra'), 'yes');
    assert.match(await res.text(), /hello/);
    const missing = await fetch(new URL('/nope.png', nginx.url), { signal: AbortSignal.timeout(5_000) });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const log = await readFile(nginx.accessLogPath, 'utf8');
    assert.match(log, /"GET \/ HTTP\/1\.1" 200/);
  } finally {
    await nginx.stop();
    await nginx.stop();
    await rm(root, { recursive: true, force: true });
  }
  await assert.rejects(fetch(nginx.url, { signal: AbortSignal.timeout(2_000) }));
});
