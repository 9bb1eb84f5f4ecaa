import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { startNginx, type RunningNginx } from '../../helpers/nginx.js';
import { startProxy } from '../../helpers/proxy.js';
import type { RunningApp } from '../../../proxy/app.js';
import { cacheRequest } from './cache-client.js';

const LOG_WAIT_MS = 5_000;

describe('edge cache in front of a real nginx', () => {
  let root: string;
  let nginx: RunningNginx;
  let app: RunningApp;
  let base: string;
  const agent = new Agent();
  const photo = randomBytes(300 * 1024);
  const clip = randomBytes(512 * 1024);
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg">${'<rect width="1" height="1"/>'.repeat(400)}</svg>`);

  const get = (path: string, headers: Record<string, string> = {}) => cacheRequest(agent, `${base}${path}`, headers);

  /** nginx's access log lines for a path: `[status]` per request it answered. */
  async function originStatuses(path: string): Promise<number[]> {
    const log = await readFile(nginx.accessLogPath, 'utf8');
    return log.split('\n').filter((line) => line.includes(`"GET ${path} `)).map((line) => Number(/" (\d{3}) /.exec(line)?.[1]));
  }

  /** nginx writes its log line after the response: wait until it shows `count` lines. */
  async function statusesAfter(path: string, count: number): Promise<number[]> {
    let statuses: number[] = [];
    for (const deadline = Date.now() + LOG_WAIT_MS; Date.now() < deadline;) {
      statuses = await originStatuses(path);
      if (statuses.length >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return statuses;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-edge-nginx-'));
    await mkdir(join(root, 'fresh'));
    await mkdir(join(root, 'check'));
    await mkdir(join(root, 'nostore'));
    await writeFile(join(root, 'nostore', 'clip.mp4'), clip);
    await writeFile(join(root, 'fresh', 'photo.jpg'), photo);
    await writeFile(join(root, 'fresh', 'logo.svg'), svg);
    await writeFile(join(root, 'check', 'banner.png'), randomBytes(20_000));
    nginx = await startNginx({
      root,
      extraConfig: `
        location /fresh/ { expires 1h; gzip on; gzip_types image/svg+xml; gzip_vary on; gzip_proxied any; gzip_min_length 20; }
        location /check/ { add_header Cache-Control "no-cache"; }
        location /nostore/ { add_header Cache-Control "no-store"; }`,
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

  test('nginx origin: a fresh image is fetched once; Range single and multi come from the cached body, byte-exact', async () => {
    const path = '/fresh/photo.jpg';
    const first = await get(path);
    assert.equal(first.cache, 'MISS');
    assert.deepEqual(first.body, photo);
    const full = await get(path);
    assert.equal(full.cache, 'HIT');
    assert.deepEqual(full.body, photo);
    assert.ok(full.headers.etag && full.headers['last-modified'], "nginx's validators kept");
    assert.equal(full.headers['content-type'], 'image/jpeg');
    const single = await get(path, { range: 'bytes=100000-199999' });
    assert.equal(single.status, 206);
    assert.deepEqual(single.body, photo.subarray(100000, 200000));
    const multi = await get(path, { range: 'bytes=0-99,-100' });
    assert.equal(multi.status, 206);
    assert.ok(multi.body.includes(photo.subarray(0, 100)) && multi.body.includes(photo.subarray(photo.length - 100)));
    assert.deepEqual(await statusesAfter(path, 1), [200], 'nginx served the image once');
  });

  test('nginx origin: Vary: Accept-Encoding variants (gzip and identity) are kept apart', async () => {
    const path = '/fresh/logo.svg';
    await get(path, { 'accept-encoding': 'gzip' });
    await get(path, { 'accept-encoding': 'identity' });
    const gz = await get(path, { 'accept-encoding': 'gzip' });
    const plain = await get(path, { 'accept-encoding': 'identity' });
    assert.equal(gz.cache, 'HIT');
    assert.equal(plain.cache, 'HIT');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), svg);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(plain.body, svg);
    assert.equal((await statusesAfter(path, 2)).length, 2, 'one origin request per variant');
  });

  test('nginx origin: no-cache images are revalidated (nginx answers 304), then a changed file is fetched anew', async () => {
    const path = '/check/banner.png';
    const first = await get(path);
    assert.equal(first.cache, 'MISS');
    const second = await get(path);
    assert.equal(second.cache, 'REVALIDATED');
    assert.deepEqual(second.body, first.body);
    assert.deepEqual(await statusesAfter(path, 2), [200, 304], 'the second origin request was conditional');

    const replaced = randomBytes(25_000);
    await writeFile(join(root, 'check', 'banner.png'), replaced);
    // A different mtime gives nginx a different ETag and Last-Modified.
    const later = new Date(Date.now() + 60_000);
    await utimes(join(root, 'check', 'banner.png'), later, later);
    const third = await get(path);
    assert.equal(third.cache, 'MISS');
    assert.deepEqual(third.body, replaced);
    const fourth = await get(path);
    assert.equal(fourth.cache, 'REVALIDATED');
    assert.deepEqual(fourth.body, replaced, 'the old body is gone');
    assert.deepEqual(await statusesAfter(path, 4), [200, 304, 200, 304]);
  });

  test('nginx origin: Range seeks into a no-store video reach nginx as ranges, after one full fetch in all', async () => {
    const path = '/nostore/clip.mp4';
    const known = app.edgeCache!.unstorableUrls;
    const first = await get(path, { range: 'bytes=0-1023' });
    assert.equal(first.status, 206);
    assert.equal(first.cache, 'MISS');
    assert.deepEqual(first.body, clip.subarray(0, 1024));
    // The background fill that range started finds no-store: the URL is remembered as unstorable.
    for (const deadline = Date.now() + LOG_WAIT_MS; app.edgeCache!.unstorableUrls === known && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(app.edgeCache!.unstorableUrls, known + 1);
    const seeks = [262144, 65536, 500000, 131072];
    for (const start of seeks) {
      const seek = await get(path, { range: `bytes=${start}-${start + 9999}` });
      assert.equal(seek.status, 206);
      assert.equal(seek.cache, 'MISS');
      assert.deepEqual(seek.body, clip.subarray(start, start + 10000));
    }
    const statuses = await statusesAfter(path, 2 + seeks.length);
    assert.equal(statuses.filter((s) => s === 200).length, 1, 'one full fetch (the first background fill)');
    assert.equal(statuses.filter((s) => s === 206).length, 1 + seeks.length, 'every range answered by nginx');
  });
});
