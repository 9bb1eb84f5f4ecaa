import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import { pseudoRandomBytes, sha256 } from './counting-origin.js';
import { startSeederHarness, type SeederHarness } from './seeder-harness.js';

const VIDEO = pseudoRandomBytes(20 * 1000 * 1000, 11);

async function get(url: URL, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(url, { headers, method });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** Splits a multipart/byteranges body into its parts (content-range + bytes). */
function parseMultipart(body: Buffer, boundary: string): { range: string; bytes: Buffer }[] {
  const parts: { range: string; bytes: Buffer }[] = [];
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', afterDelimiter);
    const headers = body.subarray(afterDelimiter + 2, headerEnd).toString();
    const next = body.indexOf(delimiter, headerEnd + 4);
    parts.push({ range: /content-range: (.*)/i.exec(headers)?.[1]?.trim() ?? '', bytes: body.subarray(headerEnd + 4, next) });
    at = next;
  }
  return parts;
}

describe('webseed /__p2p/seed/<id> for a 20 MB video', () => {
  let h: SeederHarness;
  let seedUrl: URL;

  before(async () => {
    h = await startSeederHarness({ overrides: { cacheMaxBytes: 64 * 1024 * 1024 } });
    h.origin.add('/videos/clip.webm', VIDEO, 'video/webm');
    const res = await request(new URL('/__p2p/manifest?u=/videos/clip.webm', h.proxyUrl));
    const manifest = (await res.body.json()) as ManifestResponse;
    const id = manifest.assets[0]?.id;
    assert.ok(id);
    seedUrl = new URL(`/__p2p/seed/${id}`, h.proxyUrl);
  });

  after(() => h.close());

  test('full body is byte-exact with validators and caching headers', async () => {
    const res = await get(seedUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.headers['content-type'], 'video/webm');
    assert.equal(res.headers['content-length'], String(VIDEO.length));
    assert.equal(res.headers.etag, `"${sha256(VIDEO)}"`);
    assert.match(String(res.headers['cache-control']), /max-age=\d+/);
    assert.equal(sha256(res.body), sha256(VIDEO));
  });

  test('HEAD has the headers and no body', async () => {
    const res = await get(seedUrl, {}, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(VIDEO.length));
    assert.equal(res.body.length, 0);
  });

  test('single ranges are byte-exact 206s', async () => {
    const size = VIDEO.length;
    const cases: [string, number, number][] = [
      ['bytes=0-16383', 0, 16383],
      ['bytes=5000000-5016383', 5000000, 5016383],
      [`bytes=${size - 100}-`, size - 100, size - 1],
      ['bytes=-4096', size - 4096, size - 1],
      [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await get(seedUrl, { range });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
      assert.equal(res.headers['content-length'], String(end - start + 1), range);
      assert.ok(res.body.equals(VIDEO.subarray(start, end + 1)), range);
    }
  });

  test('multi-range answers multipart/byteranges with exact parts', async () => {
    const res = await get(seedUrl, { range: 'bytes=0-99,1000000-1000199,-50' });
    assert.equal(res.status, 206);
    const type = String(res.headers['content-type']);
    const boundary = /boundary=(\S+)/.exec(type)?.[1];
    assert.ok(type.startsWith('multipart/byteranges') && boundary);
    assert.equal(Number(res.headers['content-length']), res.body.length);
    const parts = parseMultipart(res.body, boundary);
    const size = VIDEO.length;
    assert.deepEqual(parts.map((p) => p.range), [`bytes 0-99/${size}`, `bytes 1000000-1000199/${size}`, `bytes ${size - 50}-${size - 1}/${size}`]);
    assert.ok(parts[0]!.bytes.equals(VIDEO.subarray(0, 100)));
    assert.ok(parts[1]!.bytes.equals(VIDEO.subarray(1000000, 1000200)));
    assert.ok(parts[2]!.bytes.equals(VIDEO.subarray(size - 50)));
  });

  test('unsatisfiable ranges are 416 with the size', async () => {
    for (const range of [`bytes=${VIDEO.length}-`, `bytes=${VIDEO.length + 5}-${VIDEO.length + 10}`, 'bytes=-0']) {
      const res = await get(seedUrl, { range });
      assert.equal(res.status, 416, range);
      assert.equal(res.headers['content-range'], `bytes */${VIDEO.length}`, range);
      assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_RANGE', range);
      assert.equal((JSON.parse(res.body.toString()) as { error: string }).error, 'PC_ERR_RANGE', range);
    }
  });

  test('malformed Range and a stale If-Range both give the full body', async () => {
    const malformed = await get(seedUrl, { range: 'bytes=zz' });
    assert.equal(malformed.status, 200);
    assert.equal(malformed.body.length, VIDEO.length);
    const stale = await get(seedUrl, { range: 'bytes=0-9', 'if-range': '"something-else"' });
    assert.equal(stale.status, 200);
    const fresh = await get(seedUrl, { range: 'bytes=0-9', 'if-range': `"${sha256(VIDEO)}"` });
    assert.equal(fresh.status, 206);
  });

  test('If-None-Match with the ETag is 304', async () => {
    const res = await get(seedUrl, { 'if-none-match': `"${sha256(VIDEO)}"` });
    assert.equal(res.status, 304);
  });

  test('ranged requests never go back to the origin', async () => {
    const before = h.origin.hitsOf('/videos/clip.webm');
    await Promise.all(Array.from({ length: 20 }, (_, i) => get(seedUrl, { range: `bytes=${i * 16384}-${i * 16384 + 16383}` })));
    assert.equal(h.origin.hitsOf('/videos/clip.webm'), before);
  });

  test('unknown ids are 404', async () => {
    const res = await get(new URL('/__p2p/seed/AAAAAAAAAAAAAAAAAAAAAA', h.proxyUrl));
    assert.equal(res.status, 404);
    assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_NOT_FOUND');
    assert.equal((JSON.parse(res.body.toString()) as { error: string }).error, 'PC_ERR_NOT_FOUND');
    const bad = await get(new URL('/__p2p/seed/..%2f..%2fetc', h.proxyUrl));
    assert.equal(bad.status, 404);
    assert.equal(bad.headers['x-peerconnect-error'], 'PC_ERR_NOT_FOUND');
  });
});
