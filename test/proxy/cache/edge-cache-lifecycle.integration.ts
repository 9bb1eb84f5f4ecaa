import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import { startProxy } from '../../helpers/proxy.js';
import { waitFor, within } from '../../helpers/wait.js';
import type { RunningApp } from '../../../proxy/app.js';
import { ScriptedOrigin } from './scripted-origin.js';
import { cacheRequest } from './cache-client.js';

const ADMIN_TOKEN = 'edge-cache-admin-token-0123456789';
const WAIT_MS = 10_000;
/** 4 MiB store: one body is stored up to 1 MiB. */
const CACHE_MAX_BYTES = 4 * 1024 * 1024;

/** An origin answer that honours a single `bytes=a-b` range (206) and sends the whole body otherwise. */
function ranged(body: Buffer, headers: Record<string, string>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!range) return void res.writeHead(200, { ...headers, 'accept-ranges': 'bytes', 'content-length': body.length }).end(body);
    const [start, end] = [Number(range[1]), Math.min(Number(range[2]), body.length - 1)];
    res.writeHead(206, { ...headers, 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': end - start + 1 })
      .end(body.subarray(start, end + 1));
  };
}

describe('edge cache: unstorable URLs, HEAD, purge during a fill, stale-while-revalidate (Node origin)', () => {
  const origin = new ScriptedOrigin();
  const agent = new Agent({ connections: 32 });
  let app: RunningApp;
  let base: string;
  let n = 0;
  let path: string;

  const get = (p: string, headers: Record<string, string> = {}, method: Dispatcher.HttpMethod = 'GET') => cacheRequest(agent, `${base}${p}`, headers, method);

  async function purge(query: string): Promise<unknown> {
    const res = await request(`${base}/__p2p/purge?${query}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, dispatcher: agent });
    return res.body.json();
  }

  /** One sample of /metrics, e.g. `peerconnect_edge_cache_requests_total{result="miss"}`; 0 when absent. */
  async function metric(sample: string): Promise<number> {
    const res = await request(`${base}/__p2p/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, dispatcher: agent });
    const text = await res.body.text();
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? 0 : Number(line.slice(sample.length + 1));
  }

  before(async () => {
    const url = await origin.listen();
    app = await startProxy({ ORIGIN: url.origin, ADMIN_TOKEN, CACHE_MAX_BYTES: String(CACHE_MAX_BYTES) });
    base = app.url.origin;
  });

  beforeEach(() => {
    path = `/life/t${++n}.png`;
  });

  after(async () => {
    await agent.close();
    await app?.close();
    await origin.close();
  });

  const unstorableVideos = [
    { rule: 'no-store', size: 256 * 1024, headers: { 'cache-control': 'no-store' } },
    { rule: 'larger than a quarter of CACHE_MAX_BYTES', size: 1536 * 1024, headers: { 'cache-control': 'max-age=600' } },
  ];
  for (const { rule, size, headers } of unstorableVideos) {
    test(`an unstorable video (${rule}): repeated Range seeks go straight to the origin, with one full fetch in all`, async () => {
      const video = `/life/v${n}.mp4`;
      const body = randomBytes(size);
      origin.on(video, ranged(body, { 'content-type': 'video/mp4', ...headers }));
      const missesBefore = await metric('peerconnect_edge_cache_requests_total{result="miss"}');
      const known = app.edgeCache!.unstorableUrls;

      const first = await get(video, { range: 'bytes=0-1023' });
      assert.equal(first.status, 206);
      assert.equal(first.cache, 'MISS');
      assert.deepEqual(first.body, body.subarray(0, 1024));
      // The background fill started by that range learns the response cannot be stored.
      await waitFor(() => app.edgeCache!.unstorableUrls === known + 1, 'the URL noted unstorable', WAIT_MS);

      const seeks = [size / 2, size / 4, size - 4096, 4096, (3 * size) / 4];
      for (const start of seeks) {
        const seek = await get(video, { range: `bytes=${start}-${start + 4095}` });
        assert.equal(seek.status, 206);
        assert.equal(seek.cache, 'MISS');
        assert.deepEqual(seek.body, body.subarray(start, start + 4096), `bytes from ${start}`);
      }
      const requests = origin.requestsFor(video);
      assert.equal(requests.filter((r) => r.headers.range === undefined).length, 1, 'one full fetch (the first background fill), none after');
      assert.equal(requests.filter((r) => r.headers.range !== undefined).length, 1 + seeks.length, 'every seek reached the origin as a range');
      assert.equal(await metric('peerconnect_edge_cache_requests_total{result="miss"}') - missesBefore, 1 + seeks.length, 'each forwarded range counted as a miss');
    });
  }

  test('a URL known unstorable is tried again after a purge', async () => {
    const body = randomBytes(4000);
    let cacheControl = 'no-store';
    origin.on(path, (_req, res) => res.writeHead(200, { 'content-type': 'image/png', 'cache-control': cacheControl, 'content-length': body.length }).end(body));
    assert.equal((await get(path)).cache, 'MISS');
    // The origin fixes its headers; the cache still bypasses until the TTL or a purge.
    cacheControl = 'max-age=600';
    assert.equal((await get(path)).cache, 'MISS');
    assert.deepEqual(await purge(`url=${encodeURIComponent(path)}`), { purged: 0 });
    assert.equal((await get(path)).cache, 'MISS');
    const hit = await get(path);
    assert.equal(hit.cache, 'HIT');
    assert.deepEqual(hit.body, body);
    assert.equal(origin.requestsFor(path).length, 3);
  });

  test('a HEAD miss is forwarded as a HEAD and stores nothing; once a GET stored the image, HEAD is answered from the cache', async () => {
    const body = randomBytes(30_000);
    origin.serve(path, body, { 'content-type': 'image/png', 'cache-control': 'max-age=600', etag: '"hd"' });
    const miss = await get(path, {}, 'HEAD');
    assert.equal(miss.status, 200);
    assert.equal(miss.cache, 'MISS');
    assert.equal(miss.headers['content-length'], String(body.length));
    assert.equal(miss.body.length, 0);
    assert.deepEqual(origin.requestsFor(path).map((r) => r.method), ['HEAD'], 'the origin saw a HEAD, and no GET to fill the cache');

    const full = await get(path);
    assert.equal(full.cache, 'MISS', 'nothing body-less was stored by the HEAD');
    assert.deepEqual(full.body, body);

    const hit = await get(path, {}, 'HEAD');
    assert.equal(hit.status, 200);
    assert.equal(hit.cache, 'HIT');
    assert.equal(hit.headers['content-length'], String(body.length));
    assert.equal(hit.headers.etag, '"hd"');
    assert.equal(hit.body.length, 0);
    const rangeHit = await get(path, { range: 'bytes=100-199' }, 'HEAD');
    assert.equal(rangeHit.status, 206);
    assert.equal(rangeHit.headers['content-length'], '100');
    assert.equal(rangeHit.headers['content-range'], `bytes 100-199/${body.length}`);
    assert.deepEqual(origin.requestsFor(path).map((r) => r.method), ['HEAD', 'GET']);
  });

  test('a purge that arrives while a fill is in flight wins: the fill is not stored, nor given to the requests waiting on it', async () => {
    const v1 = randomBytes(300 * 1024);
    const v2 = randomBytes(200 * 1024);
    const headers = { 'content-type': 'image/png', 'cache-control': 'max-age=600' };
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let first = true;
    origin.on(path, (_req, res) => {
      if (!first) return void res.writeHead(200, { ...headers, 'content-length': v2.length }).end(v2);
      // The first answer (the old image) arrives slowly: a head and a few bytes, the rest when the test says.
      first = false;
      res.writeHead(200, { ...headers, 'content-length': v1.length });
      res.write(v1.subarray(0, 1000));
      void released.then(() => res.end(v1.subarray(1000)));
    });
    const leader = get(path);
    await waitFor(() => origin.requestsFor(path).length === 1, 'the fill reached the origin', WAIT_MS);
    const waiter = get(path);
    await waitFor(() => app.edgeCache!.waiting === 1, 'a second request waits on the fill', WAIT_MS);
    assert.deepEqual(await purge(`url=${encodeURIComponent(path)}`), { purged: 0 }, 'nothing stored yet');
    release();
    const [a, b] = await within(Promise.all([leader, waiter]), 'both answered', WAIT_MS);
    assert.equal(a.cache, 'MISS');
    assert.deepEqual(a.body, v1, "the fill's own visitor still got every byte");
    assert.equal(b.cache, 'MISS');
    assert.deepEqual(b.body, v2, 'the waiting request went to the origin and got the new image');

    const next = await get(path);
    assert.equal(next.cache, 'MISS', 'the purged fill was not stored');
    assert.deepEqual(next.body, v2);
    const hit = await get(path);
    assert.equal(hit.cache, 'HIT');
    assert.deepEqual(hit.body, v2);
    assert.equal(origin.requestsFor(path).length, 3);
  });

  test('stale-while-revalidate: the stale image is served at once (X-Cache: STALE) and revalidated once in the background', async () => {
    const body = randomBytes(20_000);
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    origin.on(path, (req, res) => {
      if (req.headers['if-none-match'] === '"s1"') {
        // The revalidation is held until every stale answer is in: none of them can have waited for it.
        void released.then(() => res.writeHead(304, { etag: '"s1"', 'cache-control': 'max-age=600, stale-while-revalidate=30' }).end());
        return;
      }
      res.writeHead(200, {
        'content-type': 'image/png', 'cache-control': 'max-age=1, stale-while-revalidate=30', etag: '"s1"', 'content-length': body.length,
      }).end(body);
    });
    assert.equal((await get(path)).cache, 'MISS');
    // Age counts whole seconds; past max-age=1 the entry is stale, within the 30 s it may still be used.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const staleBefore = await metric('peerconnect_edge_cache_requests_total{result="stale"}');
    const hitsBefore = app.edgeCache!.figures().hits;

    const answers = await within(Promise.all(Array.from({ length: 5 }, () => get(path))), 'five stale answers while the revalidation is held', WAIT_MS);
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.equal(answer.cache, 'STALE');
      assert.deepEqual(answer.body, body);
      assert.ok(Number(answer.headers.age) >= 2, 'Age says how old the stored answer is');
    }
    await waitFor(() => origin.requestsFor(path).length === 2, 'the background revalidation reached the origin', WAIT_MS);
    assert.equal(origin.requestsFor(path)[1]!.headers['if-none-match'], '"s1"', 'a conditional request');
    const later = await get(path);
    assert.equal(later.cache, 'STALE', 'still stale while the revalidation runs; no second one started');
    release();

    // Once the 304 is in, the entry is fresh again (max-age=600 from the 304).
    let next = await get(path);
    for (const deadline = Date.now() + WAIT_MS; next.cache !== 'HIT' && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      next = await get(path);
    }
    assert.equal(next.cache, 'HIT');
    assert.deepEqual(next.body, body);
    assert.equal(origin.requestsFor(path).length, 2, 'one full fetch, one conditional request');
    const staleAnswers = await metric('peerconnect_edge_cache_requests_total{result="stale"}') - staleBefore;
    assert.ok(staleAnswers >= 6, `stale answers in /metrics (${staleAnswers})`);
    assert.ok(app.edgeCache!.figures().hits - hitsBefore >= staleAnswers + 1, '/stats counts stale answers as hits');
  });

  test('stale-while-revalidate does not override no-cache: each use still waits for the conditional request', async () => {
    const body = randomBytes(3000);
    origin.serve(path, body, { 'content-type': 'image/png', 'cache-control': 'no-cache, stale-while-revalidate=30', etag: '"nc"' });
    assert.equal((await get(path)).cache, 'MISS');
    const second = await get(path);
    assert.equal(second.cache, 'REVALIDATED');
    assert.deepEqual(second.body, body);
    assert.equal(origin.requestsFor(path)[1]!.headers['if-none-match'], '"nc"');
  });

  test('stale-while-revalidate: a changed image found in the background replaces the stored one', async () => {
    const v1 = randomBytes(8000);
    const v2 = randomBytes(9000);
    let current = { body: v1, etag: '"w1"', cacheControl: 'max-age=1, stale-while-revalidate=30' };
    origin.on(path, (req, res) => {
      if (req.headers['if-none-match'] === current.etag) return void res.writeHead(304, { etag: current.etag }).end();
      res.writeHead(200, {
        'content-type': 'image/png', 'cache-control': current.cacheControl, etag: current.etag, 'content-length': current.body.length,
      }).end(current.body);
    });
    await get(path);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    current = { body: v2, etag: '"w2"', cacheControl: 'max-age=600' };
    const stale = await get(path);
    assert.equal(stale.cache, 'STALE');
    assert.deepEqual(stale.body, v1);
    let next = await get(path);
    for (const deadline = Date.now() + WAIT_MS; !next.body.equals(v2) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      next = await get(path);
    }
    assert.deepEqual(next.body, v2, 'the new image, stored by the background request');
    assert.equal(next.cache, 'HIT');
    assert.equal(origin.requestsFor(path)[1]!.headers['if-none-match'], '"w1"');
    assert.equal(origin.requestsFor(path).length, 2);
  });
});
