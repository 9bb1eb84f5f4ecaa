import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import { startProxy } from '../../helpers/proxy.js';
import { waitFor, within } from '../../helpers/wait.js';
import type { RunningApp } from '../../../proxy/app.js';
import { ScriptedOrigin } from './scripted-origin.js';
import { cacheRequest } from './cache-client.js';

const ADMIN_TOKEN = 'edge-cache-admin-token-0123456789';
const WAIT_MS = 10_000;

describe('edge cache in front of a Node origin', () => {
  const origin = new ScriptedOrigin();
  const agent = new Agent({ connections: 128 });
  let app: RunningApp;
  let base: string;
  let n = 0;
  /** A fresh path per test, so tests never see each other's entries. */
  let path: string;

  const get = (p: string, headers: Record<string, string> = {}, method: Dispatcher.HttpMethod = 'GET') => cacheRequest(agent, `${base}${p}`, headers, method);

  before(async () => {
    const url = await origin.listen();
    app = await startProxy({ ORIGIN: url.origin, ADMIN_TOKEN, CACHE_MAX_BYTES: String(4 * 1024 * 1024) });
    base = app.url.origin;
  });

  beforeEach(() => {
    path = `/img/t${++n}.png`;
  });

  after(async () => {
    await agent.close();
    await app?.close();
    await origin.close();
  });

  test('a fresh image is fetched once, then served from memory with Age, ETag, Last-Modified and Content-Type', async () => {
    const body = randomBytes(100 * 1024);
    origin.serve(path, body, { 'content-type': 'image/png', 'cache-control': 'max-age=600', etag: '"v1"', 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT' });
    const first = await get(path);
    const second = await get(path);
    assert.equal(first.cache, 'MISS');
    assert.equal(second.cache, 'HIT');
    assert.deepEqual(second.body, body);
    assert.deepEqual(first.body, body);
    assert.equal(second.headers.etag, '"v1"');
    assert.equal(second.headers['last-modified'], 'Tue, 01 Dec 2026 10:00:00 GMT');
    assert.equal(second.headers['content-type'], 'image/png');
    assert.equal(second.headers['content-length'], String(body.length));
    assert.match(String(second.headers.age), /^\d+$/);
    assert.equal(origin.requestsFor(path).length, 1);
  });

  test('HEAD and a matching If-None-Match are answered from the cache', async () => {
    const body = randomBytes(2048);
    origin.serve(path, body, { 'content-type': 'image/png', 'cache-control': 'max-age=600', etag: '"h1"' });
    await get(path);
    const head = await get(path, {}, 'HEAD');
    assert.equal(head.cache, 'HIT');
    assert.equal(head.headers['content-length'], String(body.length));
    assert.equal(head.body.length, 0);
    const conditional = await get(path, { 'if-none-match': '"h1"' });
    assert.equal(conditional.status, 304);
    assert.equal(conditional.cache, 'HIT');
    assert.equal(origin.requestsFor(path).length, 1);
  });

  // One test per rule that keeps a response out of the shared cache.
  const neverStored: { rule: string; headers: Record<string, string>; request?: Record<string, string>; status?: number }[] = [
    { rule: 'Cache-Control: private', headers: { 'cache-control': 'private, max-age=600' } },
    { rule: 'Cache-Control: no-store', headers: { 'cache-control': 'no-store' } },
    { rule: 'Set-Cookie', headers: { 'cache-control': 'public, max-age=600', 'set-cookie': 'id=1' } },
    { rule: 'a request with Authorization (no public/s-maxage)', headers: { 'cache-control': 'max-age=600' }, request: { authorization: 'Bearer x' } },
    { rule: 'a request with cookies (no public/s-maxage)', headers: { 'cache-control': 'max-age=600' }, request: { cookie: 'session=1' } },
    { rule: 'Vary other than Accept-Encoding', headers: { 'cache-control': 'max-age=600', vary: 'User-Agent' } },
    { rule: 'a status other than 200 (404 with max-age)', headers: { 'cache-control': 'max-age=600' }, status: 404 },
    { rule: 'a status other than 200 (206 from the origin)', headers: { 'cache-control': 'max-age=600', 'content-range': 'bytes 0-9/10' }, status: 206 },
    { rule: 'a .png answering text/html', headers: { 'cache-control': 'max-age=600', 'content-type': 'text/html' } },
  ];
  for (const { rule, headers, request: reqHeaders, status } of neverStored) {
    test(`never stored: ${rule}`, async () => {
      const body = randomBytes(1000);
      origin.on(path, (_req, res) => {
        res.writeHead(status ?? 200, { 'content-type': 'image/png', 'content-length': body.length, ...headers }).end(body);
      });
      const first = await get(path, reqHeaders);
      const second = await get(path, reqHeaders);
      assert.equal(first.status, status ?? 200);
      assert.deepEqual(second.body, body);
      assert.equal(first.cache, 'MISS');
      assert.equal(second.cache, 'MISS');
      assert.equal(origin.requestsFor(path).length, 2, 'both requests reached the origin');
    });
  }

  test('a request with Authorization is stored when the origin says public', async () => {
    origin.serve(path, randomBytes(500), { 'content-type': 'image/png', 'cache-control': 'public, max-age=600' });
    await get(path, { authorization: 'Bearer x' });
    const second = await get(path, { authorization: 'Bearer x' });
    assert.equal(second.cache, 'HIT');
    assert.equal(origin.requestsFor(path).length, 1);
  });

  test('a cookie-authenticated private image is never served to another visitor', async () => {
    const secret = randomBytes(4096);
    origin.on(path, (req, res) => {
      if (req.headers.cookie !== 'session=alice') {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=600', 'content-length': secret.length }).end(secret);
    });
    const alice = await get(path, { cookie: 'session=alice' });
    assert.deepEqual(alice.body, secret);
    const mallory = await get(path);
    assert.equal(mallory.status, 403);
    assert.ok(!mallory.body.includes(secret.subarray(0, 64)), 'no byte of the private image');
    const mallory2 = await get(path, { cookie: 'session=mallory' });
    assert.equal(mallory2.status, 403);
    assert.equal(origin.requestsFor(path).length, 3);
  });

  test('max-age expired: revalidated with a conditional request; 304 keeps the stored body', async () => {
    const body = randomBytes(10_000);
    origin.serve(path, body, { 'content-type': 'image/png', 'cache-control': 'max-age=1', etag: '"e1"' });
    assert.equal((await get(path)).cache, 'MISS');
    // Age counts whole seconds; past max-age=1 the entry is stale.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const stale = await get(path);
    assert.equal(stale.cache, 'REVALIDATED');
    assert.deepEqual(stale.body, body);
    const requests = origin.requestsFor(path);
    assert.equal(requests.length, 2);
    assert.equal(requests[1]!.headers['if-none-match'], '"e1"', 'the origin saw a conditional request');
  });

  test('max-age=0 with a Last-Modified: every use revalidates with If-Modified-Since', async () => {
    const body = randomBytes(3000);
    const lastModified = 'Mon, 30 Nov 2026 08:00:00 GMT';
    origin.on(path, (req, res) => {
      if (req.headers['if-modified-since'] === lastModified) return void res.writeHead(304, { 'cache-control': 'max-age=0' }).end();
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=0', 'last-modified': lastModified, 'content-length': body.length }).end(body);
    });
    await get(path);
    const second = await get(path);
    assert.equal(second.cache, 'REVALIDATED');
    assert.deepEqual(second.body, body);
    assert.equal(origin.requestsFor(path)[1]!.headers['if-modified-since'], lastModified);
  });

  test('a changed image: revalidation gets 200, the new body is served and stored, the old one gone', async () => {
    const v1 = randomBytes(5000);
    const v2 = randomBytes(6000);
    let current = { body: v1, etag: '"c1"' };
    origin.on(path, (req, res) => {
      if (req.headers['if-none-match'] === current.etag) return void res.writeHead(304, { etag: current.etag }).end();
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=0', etag: current.etag, 'content-length': current.body.length }).end(current.body);
    });
    assert.deepEqual((await get(path)).body, v1);
    current = { body: v2, etag: '"c2"' };
    const changed = await get(path);
    assert.equal(changed.cache, 'MISS');
    assert.deepEqual(changed.body, v2);
    assert.equal(origin.requestsFor(path)[1]!.headers['if-none-match'], '"c1"');
    const again = await get(path);
    assert.equal(again.cache, 'REVALIDATED');
    assert.deepEqual(again.body, v2, 'the old body is never served again');
  });

  test('a no-cache request revalidates a fresh entry', async () => {
    origin.serve(path, randomBytes(100), { 'content-type': 'image/png', 'cache-control': 'max-age=600', etag: '"n1"' });
    await get(path);
    const forced = await get(path, { 'cache-control': 'no-cache' });
    assert.equal(forced.cache, 'REVALIDATED');
    assert.equal(origin.requestsFor(path).length, 2);
  });

  test('Range from the cache: single, multiple and unsatisfiable, byte-exact', async () => {
    const body = randomBytes(100 * 1024);
    origin.serve(path, body, { 'content-type': 'image/png', 'cache-control': 'max-age=600', etag: '"r1"' });
    await get(path);
    const single = await get(path, { range: 'bytes=1000-1999' });
    assert.equal(single.status, 206);
    assert.equal(single.cache, 'HIT');
    assert.equal(single.headers['content-range'], `bytes 1000-1999/${body.length}`);
    assert.deepEqual(single.body, body.subarray(1000, 2000));
    const suffix = await get(path, { range: 'bytes=-10' });
    assert.deepEqual(suffix.body, body.subarray(body.length - 10));
    const multi = await get(path, { range: 'bytes=0-9,50000-50009' });
    assert.equal(multi.status, 206);
    const boundary = /boundary=(\S+)/.exec(String(multi.headers['content-type']))?.[1];
    assert.ok(boundary);
    const expected = Buffer.concat([
      Buffer.from(`\r\n--${boundary}\r\ncontent-type: image/png\r\ncontent-range: bytes 0-9/${body.length}\r\n\r\n`), body.subarray(0, 10),
      Buffer.from(`\r\n--${boundary}\r\ncontent-type: image/png\r\ncontent-range: bytes 50000-50009/${body.length}\r\n\r\n`), body.subarray(50000, 50010),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    assert.deepEqual(multi.body, expected);
    assert.equal(multi.headers['content-length'], String(expected.length));
    const outside = await get(path, { range: `bytes=${body.length}-` });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers['content-range'], `bytes */${body.length}`);
    const otherValidator = await get(path, { range: 'bytes=0-9', 'if-range': '"old"' });
    assert.equal(otherValidator.status, 200, 'If-Range with another ETag: the whole body');
    assert.equal(origin.requestsFor(path).length, 1);
  });

  test('a Range request for something not stored goes to the origin as is and fills the cache in the background', async () => {
    const body = randomBytes(200 * 1024);
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    origin.on(path, (req, res) => {
      const headers = { 'content-type': 'video/webm', 'cache-control': 'max-age=600', etag: '"v"', 'accept-ranges': 'bytes' };
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      // The full body (the background fill) is held until the test releases it.
      if (!range) return void released.then(() => res.writeHead(200, { ...headers, 'content-length': body.length }).end(body));
      const [start, end] = [Number(range[1]), Number(range[2])];
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': end - start + 1 }).end(body.subarray(start, end + 1));
    });
    const part = await get(path, { range: 'bytes=0-1023' });
    assert.equal(part.status, 206, 'the origin answered the range itself');
    assert.equal(part.cache, 'MISS', 'a miss, answered by the forwarder');
    assert.deepEqual(part.body, body.subarray(0, 1024));
    await waitFor(() => origin.requestsFor(path).some((r) => r.headers.range === undefined), 'the background fill', WAIT_MS);
    // While the whole body is still on its way, another range does not wait for it (a seek would stall).
    const during = await within(get(path, { range: 'bytes=2048-3071' }), 'a range during the fill', WAIT_MS);
    assert.equal(during.status, 206);
    assert.deepEqual(during.body, body.subarray(2048, 3072));
    release();
    // The fill is stored when its body has arrived; a later range comes from the cache.
    let next = await get(path, { range: 'bytes=1024-2047' });
    for (const deadline = Date.now() + WAIT_MS; next.cache !== 'HIT' && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      next = await get(path, { range: 'bytes=1024-2047' });
    }
    assert.equal(next.cache, 'HIT');
    assert.deepEqual(next.body, body.subarray(1024, 2048));
    assert.equal(origin.requestsFor(path).filter((r) => r.headers.range === undefined).length, 1, 'one full request filled the cache');
  });

  test('Vary: Accept-Encoding keeps the variants apart', async () => {
    const plain = randomBytes(2000);
    const gzipped = randomBytes(1500);
    origin.on(path, (req, res) => {
      const gzip = /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? gzipped : plain;
      res.writeHead(200, {
        'content-type': 'image/svg+xml', 'cache-control': 'max-age=600', vary: 'Accept-Encoding', 'content-length': body.length,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      }).end(body);
    });
    await get(path, { 'accept-encoding': 'gzip' });
    await get(path, { 'accept-encoding': 'identity' });
    const g = await get(path, { 'accept-encoding': 'gzip' });
    const i = await get(path, { 'accept-encoding': 'identity' });
    assert.equal(g.cache, 'HIT');
    assert.equal(i.cache, 'HIT');
    assert.deepEqual(g.body, gzipped);
    assert.equal(g.headers['content-encoding'], 'gzip');
    assert.deepEqual(i.body, plain);
    assert.equal(i.headers['content-encoding'], undefined);
    assert.equal(origin.requestsFor(path).length, 2);
  });

  test('100 concurrent misses for one URL make one origin request', async () => {
    const body = randomBytes(100 * 1024);
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    origin.on(path, (_req, res) => {
      void released.then(() => res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=600', 'content-length': body.length }).end(body));
    });
    const all = Promise.all(Array.from({ length: 100 }, () => get(path)));
    // The origin holds its answer until the other 99 are waiting on the first.
    await waitFor(() => app.edgeCache!.waiting === 99, '99 requests coalesced', WAIT_MS);
    release();
    const answers = await within(all, '100 answers', WAIT_MS);
    assert.equal(origin.requestsFor(path).length, 1);
    for (const answer of answers) assert.deepEqual(answer.body, body);
    assert.equal(answers.filter((a) => a.cache === 'MISS').length, 1);
    assert.equal(answers.filter((a) => a.cache === 'HIT').length, 99);
  });

  test('purge by URL and by prefix (admin token), then the next request is a miss', async () => {
    const a = `/purge-${n}/a.png`;
    const b = `/purge-${n}/b.png`;
    for (const p of [path, a, b]) origin.serve(p, randomBytes(100), { 'content-type': 'image/png', 'cache-control': 'max-age=600' });
    for (const p of [path, a, b]) await get(p);
    const refused = await request(`${base}/__p2p/purge?url=${encodeURIComponent(path)}`, { method: 'POST', dispatcher: agent });
    await refused.body.dump();
    assert.equal(refused.statusCode, 401);
    assert.equal((await get(path)).cache, 'HIT');

    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const byUrl = await request(`${base}/__p2p/purge?url=${encodeURIComponent(`http://example.test${path}`)}`, { method: 'POST', headers: auth, dispatcher: agent });
    assert.deepEqual(await byUrl.body.json(), { purged: 1 });
    assert.equal((await get(path)).cache, 'MISS');
    const byPrefix = await request(`${base}/__p2p/purge?prefix=${encodeURIComponent(`/purge-${n}/`)}`, { method: 'POST', headers: auth, dispatcher: agent });
    assert.deepEqual(await byPrefix.body.json(), { purged: 2 });
    assert.equal((await get(a)).cache, 'MISS');
    assert.equal((await get(b)).cache, 'MISS');
  });

  test('hits, misses, revalidations and bytes saved are in /metrics', async () => {
    const res = await request(`${base}/__p2p/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, dispatcher: agent });
    const text = await res.body.text();
    const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
    assert.ok(value(/^peerconnect_edge_cache_requests_total\{result="hit"\} (\d+)/m) > 0);
    assert.ok(value(/^peerconnect_edge_cache_requests_total\{result="miss"\} (\d+)/m) > 0);
    assert.ok(value(/^peerconnect_edge_cache_requests_total\{result="revalidated"\} (\d+)/m) > 0);
    assert.ok(value(/^peerconnect_edge_cache_served_bytes_total (\d+)/m) > 100 * 1024);
    assert.ok(value(/^peerconnect_edge_cache_not_stored_total\{reason="private"\} (\d+)/m) > 0);
  });

  test('HTML and paths outside the scope never take the cache path', async () => {
    origin.serve('/page.html', Buffer.from('<html><body>hi</body></html>'), { 'content-type': 'text/html', 'cache-control': 'max-age=600' });
    const page = await get('/page.html');
    assert.equal(page.cache, undefined);
    origin.serve('/app.js', Buffer.from('1'), { 'content-type': 'text/javascript', 'cache-control': 'max-age=600' });
    assert.equal((await get('/app.js')).cache, undefined, 'EDGE_CACHE=media leaves scripts alone');
  });
});

describe('edge cache bounds and modes', () => {
  const origin = new ScriptedOrigin();
  const agent = new Agent();
  let originUrl: URL;
  before(async () => { originUrl = await origin.listen(); });
  after(async () => {
    await agent.close();
    await origin.close();
  });

  async function cacheStatus(base: string, p: string): Promise<string | undefined> {
    const res = await request(`${base}${p}`, { dispatcher: agent });
    await res.body.dump();
    return res.headers['x-cache'] as string | undefined;
  }

  test('eviction by bytes under CACHE_MAX_BYTES: the least recently used image goes first', async () => {
    // 400 KB store: objects up to a quarter (100 KB) are stored; five 90 KB images cannot all stay.
    const app = await startProxy({ ORIGIN: originUrl.origin, CACHE_MAX_BYTES: String(400 * 1000) });
    try {
      const base = app.url.origin;
      const paths = [1, 2, 3, 4, 5].map((i) => `/evict/${i}.jpg`);
      for (const p of paths) origin.serve(p, randomBytes(90 * 1000), { 'content-type': 'image/jpeg', 'cache-control': 'max-age=600' });
      for (const p of paths.slice(0, 4)) assert.equal(await cacheStatus(base, p), 'MISS');
      // Touch the first so the second is now the least recently used.
      assert.equal(await cacheStatus(base, paths[0]!), 'HIT');
      assert.equal(await cacheStatus(base, paths[4]!), 'MISS');
      assert.ok(app.seeder.cache.totalBytes <= 400 * 1000);
      assert.equal(await cacheStatus(base, paths[1]!), 'MISS', 'evicted');
      assert.equal(await cacheStatus(base, paths[0]!), 'HIT', 'recently used, kept');
    } finally {
      await app.close();
    }
  });

  test('a body over a quarter of CACHE_MAX_BYTES, without Content-Length, still reaches the visitor whole and is not stored', async () => {
    const app = await startProxy({ ORIGIN: originUrl.origin, CACHE_MAX_BYTES: String(400 * 1000) });
    try {
      const big = randomBytes(150 * 1000);
      origin.on('/big/a.jpg', (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'max-age=600' });
        res.write(big.subarray(0, 50_000));
        res.end(big.subarray(50_000));
      });
      for (let i = 0; i < 2; i++) {
        const res = await request(`${app.url.origin}/big/a.jpg`, { dispatcher: agent });
        assert.deepEqual(Buffer.from(await res.body.arrayBuffer()), big);
        assert.equal(res.headers['x-cache'], 'MISS');
      }
      assert.equal(origin.requestsFor('/big/a.jpg').length, 2);
      const metrics = await (await request(`${app.url.origin}/__p2p/metrics`, { dispatcher: agent })).body.text();
      // The second request went straight to the forwarder: the URL was known too large.
      assert.match(metrics, /^peerconnect_edge_cache_not_stored_total\{reason="too-large"\} 1$/m);
      assert.match(metrics, /^peerconnect_edge_cache_requests_total\{result="miss"\} 2$/m);
    } finally {
      await app.close();
    }
  });

  test('EDGE_CACHE=off: no cache, no X-Cache; EDGE_CACHE=static adds scripts', async () => {
    origin.serve('/modes/a.png', randomBytes(100), { 'content-type': 'image/png', 'cache-control': 'max-age=600' });
    origin.serve('/modes/app.js', Buffer.from('1;'), { 'content-type': 'text/javascript', 'cache-control': 'max-age=600' });
    const off = await startProxy({ ORIGIN: originUrl.origin, EDGE_CACHE: 'off' });
    try {
      assert.equal(await cacheStatus(off.url.origin, '/modes/a.png'), undefined);
      assert.equal(await cacheStatus(off.url.origin, '/modes/a.png'), undefined);
      assert.equal(off.edgeCache, undefined);
    } finally {
      await off.close();
    }
    const statics = await startProxy({ ORIGIN: originUrl.origin, EDGE_CACHE: 'static' });
    try {
      await cacheStatus(statics.url.origin, '/modes/app.js');
      assert.equal(await cacheStatus(statics.url.origin, '/modes/app.js'), 'HIT');
    } finally {
      await statics.close();
    }
  });
});

describe('edge cache: a first visitor who stops reading', () => {
  test('is cut off after the origin idle timeout, and the requests waiting on its fill still get the whole body', async () => {
    const origin = new ScriptedOrigin();
    const originUrl = await origin.listen();
    // 64 MB store (objects up to 16 MB), 1 s idle limit; the body is larger than loopback's socket buffers.
    const app = await startProxy({ ORIGIN: originUrl.origin, CACHE_MAX_BYTES: String(64 * 1024 * 1024), ORIGIN_IDLE_TIMEOUT_MS: '1000' });
    const body = randomBytes(12 * 1024 * 1024);
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    origin.on('/stall/big.png', (_req, res) => {
      void released.then(() => res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=600', 'content-length': body.length }).end(body));
    });
    const stalled = connect(Number(app.url.port), '127.0.0.1');
    try {
      // The leader's visitor asks, then never reads a byte.
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.pause();
      stalled.write(`GET /stall/big.png HTTP/1.1\r\nHost: ${app.url.host}\r\n\r\n`);
      await waitFor(() => origin.requestsFor('/stall/big.png').length === 1, 'the fill reached the origin', WAIT_MS);
      const second = request(`${app.url.origin}/stall/big.png`);
      await waitFor(() => app.edgeCache!.waiting === 1, 'the second request waits on the fill', WAIT_MS);
      release();
      const res = await within(second, 'the waiting request answered', WAIT_MS);
      assert.deepEqual(Buffer.from(await res.body.arrayBuffer()), body);
      assert.equal(origin.requestsFor('/stall/big.png').length, 1, 'one origin request');
      // Its connection was closed under it (a kept-alive one that got its whole answer would stay open).
      const closed = new Promise((resolve) => stalled.once('close', resolve));
      stalled.resume();
      await within(closed, 'the stalled visitor cut off', WAIT_MS);
    } finally {
      stalled.destroy();
      await app.close();
      await origin.close();
    }
  });
});
