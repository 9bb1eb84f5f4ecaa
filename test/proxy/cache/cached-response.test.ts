import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { waitFor } from '../../helpers/wait.js';
import { sendCached, type CacheStatus } from '../../../proxy/cache/cached-response.js';
import type { BodyStore, StoredBody } from '../../../proxy/cache/body-store.js';

const data = randomBytes(64 * 1024);
const headers: OutgoingHttpHeaders = {
  'content-type': 'image/webp', etag: '"abc"', 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT', 'content-length': '999', age: '7',
};
/** Only what sendCached uses of a store: reading a range of a body. */
const store = {
  read: (body: StoredBody, start: number, end: number) => body.kind === 'memory'
    ? body.data.subarray(start, end + 1)
    : createReadStream(body.path, { start, end }),
} as unknown as BodyStore;

let dir: string;
let server: Server;
let base: string;
let body: StoredBody;
let status: CacheStatus = 'HIT';
let sent: number[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pc-cached-response-'));
  await writeFile(join(dir, 'body'), data);
  server = createServer((req, res) => void sendCached(req, res, { body, headers }, store, status).then((n) => sent.push(n)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function get(h: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(base, { headers: h, method });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

for (const kind of ['memory', 'file'] as const) {
  test(`${kind} body: whole, one range, several ranges`, async () => {
    body = kind === 'memory' ? { kind, size: data.length, data } : { kind, size: data.length, path: join(dir, 'body') };
    sent = [];
    const whole = await get();
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, data);
    assert.equal(whole.headers['content-length'], String(data.length), 'the stored Content-Length is replaced by the real one');
    assert.equal(whole.headers['x-cache'], 'HIT');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(whole.headers.age, '7');
    const one = await get({ range: 'bytes=10-19' });
    assert.equal(one.status, 206);
    assert.deepEqual(one.body, data.subarray(10, 20));
    const many = await get({ range: 'bytes=0-0,-1' });
    assert.equal(many.status, 206);
    assert.ok(many.body.includes(data.subarray(0, 1)) && many.body.includes(data.subarray(data.length - 1)));
    assert.equal(Number(many.headers['content-length']), many.body.length);
    await waitFor(() => sent.length === 3, 'three answers counted', 5_000);
    assert.ok(sent.includes(data.length) && sent.includes(10), `body bytes sent are reported (${sent.join(', ')})`);
  });
}

test('validators: If-None-Match (weak or strong, lists, *) and If-Modified-Since give 304 without a body', async () => {
  body = { kind: 'memory', size: data.length, data };
  const conditionals: Record<string, string>[] = [{ 'if-none-match': '"abc"' }, { 'if-none-match': 'W/"abc"' }, { 'if-none-match': '"x", "abc"' }, { 'if-none-match': '*' },
    { 'if-modified-since': 'Tue, 01 Dec 2026 10:00:00 GMT' }, { 'if-modified-since': 'Wed, 02 Dec 2026 10:00:00 GMT' }];
  for (const h of conditionals) {
    const res = await get(h);
    assert.equal(res.status, 304, JSON.stringify(h));
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.etag, '"abc"');
  }
  assert.equal((await get({ 'if-none-match': '"other"' })).status, 200);
  assert.equal((await get({ 'if-modified-since': 'Mon, 30 Nov 2026 10:00:00 GMT' })).status, 200);
  // If-None-Match wins over If-Modified-Since.
  assert.equal((await get({ 'if-none-match': '"other"', 'if-modified-since': 'Wed, 02 Dec 2026 10:00:00 GMT' })).status, 200);
});

test('If-Range: the ETag or the exact Last-Modified keeps the range; anything else sends it all', async () => {
  body = { kind: 'memory', size: data.length, data };
  assert.equal((await get({ range: 'bytes=0-9', 'if-range': '"abc"' })).status, 206);
  assert.equal((await get({ range: 'bytes=0-9', 'if-range': 'Tue, 01 Dec 2026 10:00:00 GMT' })).status, 206);
  assert.equal((await get({ range: 'bytes=0-9', 'if-range': '"old"' })).status, 200);
});

test('416 with Content-Range for a range past the end; HEAD sends headers only; the status given is in X-Cache', async () => {
  body = { kind: 'memory', size: data.length, data };
  status = 'REVALIDATED';
  const outside = await get({ range: `bytes=${data.length}-` });
  assert.equal(outside.status, 416);
  assert.equal(outside.headers['content-range'], `bytes */${data.length}`);
  const head = await get({}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(data.length));
  assert.equal(head.headers['x-cache'], 'REVALIDATED');
  status = 'HIT';
});
