import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { startNginx, type RunningNginx } from '../helpers/nginx.js';
import { startProxy } from '../helpers/proxy.js';
import { sha256, BINARY_SIZES } from '../helpers/test-origin.js';
import type { RunningApp } from '../../proxy/app.js';

describe('reverse proxy in front of a real nginx', () => {
  let root: string;
  let nginx: RunningNginx;
  let app: RunningApp;
  let base: string;
  const files = new Map<string, Buffer>();
  const agent = new Agent({ connections: 32 });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-nginx-root-'));
    for (const [name, size] of Object.entries(BINARY_SIZES)) {
      const body = randomBytes(size);
      files.set(name, body);
      await writeFile(join(root, `${name}.bin`), body);
    }
    await writeFile(join(root, 'notes.txt'), 'plain text that nginx will gzip '.repeat(500));
    nginx = await startNginx({
      root,
      // gzip_proxied: nginx does not compress requests carrying Via (as proxied ones do) by default.
      extraConfig: 'gzip on; gzip_proxied any; gzip_types text/plain; gzip_min_length 20; max_ranges 4;',
    });
    app = await startProxy({ ORIGIN: nginx.url.origin });
    base = app.url.origin;
  });

  after(async () => {
    await agent.close();
    await app?.close();
    await nginx?.stop();
    await rm(root, { recursive: true, force: true });
  });

  for (const [name, size] of Object.entries(BINARY_SIZES)) {
    test(`nginx origin: ${size} B file is byte-exact with nginx's headers`, async () => {
      const res = await request(`${base}/${name}.bin`, { dispatcher: agent });
      const body = Buffer.from(await res.body.arrayBuffer());
      assert.equal(res.statusCode, 200);
      assert.equal(sha256(body), sha256(files.get(name) as Buffer));
      assert.equal(res.headers['content-length'], String(size));
      assert.ok(res.headers.etag, 'ETag kept');
      assert.ok(res.headers['last-modified'], 'Last-Modified kept');
      assert.match(String(res.headers.server), /nginx/);
    });
  }

  test('nginx origin: single and multi-range requests', async () => {
    const file = files.get('mib') as Buffer;
    const single = await request(`${base}/mib.bin`, { headers: { range: 'bytes=-100' }, dispatcher: agent });
    assert.equal(single.statusCode, 206);
    assert.deepEqual(Buffer.from(await single.body.arrayBuffer()), file.subarray(file.length - 100));

    const multi = await request(`${base}/mib.bin`, { headers: { range: 'bytes=0-9,100-109' }, dispatcher: agent });
    const body = Buffer.from(await multi.body.arrayBuffer());
    assert.equal(multi.statusCode, 206);
    assert.match(String(multi.headers['content-type']), /^multipart\/byteranges; boundary=/);
    assert.ok(body.includes(file.subarray(0, 10)) && body.includes(file.subarray(100, 110)));

    const unsatisfiable = await request(`${base}/mib.bin`, { headers: { range: `bytes=${file.length + 10}-` }, dispatcher: agent });
    await unsatisfiable.body.dump();
    assert.equal(unsatisfiable.statusCode, 416);
  });

  test('nginx origin: conditional request gives 304', async () => {
    const first = await request(`${base}/one.bin`, { dispatcher: agent });
    await first.body.dump();
    const res = await request(`${base}/one.bin`, { headers: { 'if-none-match': first.headers.etag as string }, dispatcher: agent });
    await res.body.dump();
    assert.equal(res.statusCode, 304);
  });

  test('nginx origin: gzip response passes through untouched', async () => {
    const res = await request(`${base}/notes.txt`, { headers: { 'accept-encoding': 'gzip' }, dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(body).toString(), await readFile(join(root, 'notes.txt'), 'utf8'));
  });

  test('nginx origin: 100 concurrent requests and the access log sees them', async () => {
    const expected = sha256(files.get('mib') as Buffer);
    const ok = await Promise.all(Array.from({ length: 100 }, async () => {
      const res = await request(`${base}/mib.bin`, { dispatcher: agent });
      return sha256(Buffer.from(await res.body.arrayBuffer())) === expected;
    }));
    assert.equal(ok.filter(Boolean).length, 100);
    const log = await readFile(nginx.accessLogPath, 'utf8');
    assert.ok(log.split('\n').filter((line) => line.includes('GET /mib.bin')).length >= 100);
  });

  test('nginx origin: 404 from the origin is relayed as is', async () => {
    const res = await request(`${base}/missing.bin`, { dispatcher: agent });
    await res.body.dump();
    assert.equal(res.statusCode, 404);
  });
});
