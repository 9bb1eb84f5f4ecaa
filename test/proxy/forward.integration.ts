import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { request, Agent } from 'undici';
import WebSocket from 'ws';
import { TestOrigin, sha256, BINARY_SIZES } from '../helpers/test-origin.js';
import { startProxy } from '../helpers/proxy.js';
import type { RunningApp } from '../../proxy/app.js';

const WAIT_MS = 15_000;

describe('reverse proxy against a Node origin', () => {
  let origin: TestOrigin;
  let app: RunningApp;
  let base: string;
  const agent = new Agent({ connections: 64 });

  before(async () => {
    origin = new TestOrigin();
    await origin.listen();
    app = await startProxy({ ORIGIN: origin.url.origin, ORIGIN_TIMEOUT_MS: '1500' });
    base = app.url.origin;
  });

  after(async () => {
    await agent.close();
    await app.close();
    await origin.close();
  });

  for (const [name, size] of Object.entries(BINARY_SIZES)) {
    test(`node origin: ${size} B binary body is byte-exact`, async () => {
      const res = await request(`${base}/bin/${name}`, { dispatcher: agent });
      const body = Buffer.from(await res.body.arrayBuffer());
      assert.equal(res.statusCode, 200);
      assert.equal(body.length, size);
      assert.equal(sha256(body), sha256(origin.files.get(`/bin/${name}`) as Buffer));
      assert.equal(res.headers['content-length'], String(size));
    });
  }

  test('node origin: Range request gives 206 with the exact slice', async () => {
    const file = origin.files.get('/bin/mib') as Buffer;
    const res = await request(`${base}/bin/mib`, { headers: { range: 'bytes=1000-1999' }, dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    assert.equal(res.statusCode, 206);
    assert.equal(res.headers['content-range'], `bytes 1000-1999/${file.length}`);
    assert.deepEqual(body, file.subarray(1000, 2000));
  });

  test('node origin: If-None-Match gives 304 with no body', async () => {
    const first = await request(`${base}/bin/one`, { dispatcher: agent });
    await first.body.dump();
    const etag = first.headers.etag as string;
    assert.ok(etag);
    const res = await request(`${base}/bin/one`, { headers: { 'if-none-match': etag }, dispatcher: agent });
    assert.equal(res.statusCode, 304);
    assert.equal((await res.body.arrayBuffer()).byteLength, 0);
  });

  test('node origin: gzip-encoded non-HTML response passes through untouched', async () => {
    const res = await request(`${base}/gzip`, { headers: { 'accept-encoding': 'gzip' }, dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.headers['content-length'], String(body.length));
    assert.equal(gunzipSync(body).toString(), 'compressed text '.repeat(1000));
  });

  test('node origin: chunked response streams through complete', async () => {
    const res = await request(`${base}/chunked`, { dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    assert.equal(body.length, 10_000);
    assert.equal(body[9_999], 9);
  });

  test('node origin: POST body arrives byte-exact, with forwarding headers', async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 7);
    const res = await request(`${base}/echo?x=1`, {
      method: 'POST', body: payload, dispatcher: agent,
      headers: { 'content-type': 'application/octet-stream', 'x-forwarded-for': '203.0.113.9' },
    });
    const echo = (await res.body.json()) as { method: string; bytes: number; sha256: string; headers: Record<string, string> };
    assert.equal(echo.method, 'POST');
    assert.equal(echo.bytes, payload.length);
    assert.equal(echo.sha256, sha256(payload));
    // TRUST_PROXY is empty: the client's claimed X-Forwarded-For is dropped (an origin must not believe a made-up hop); the real peer is the chain.
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-forwarded-host'], new URL(base).host);
    assert.match(echo.headers.via ?? '', /1\.1 peerconnect/);
    assert.ok(echo.headers['x-request-id']);
  });

  test('node origin: request headers named in Connection are not forwarded', async () => {
    const echo = await new Promise<{ headers: Record<string, string> }>((resolve, reject) => {
      const req = httpRequest(`${base}/echo`, { headers: { connection: 'keep-alive, x-private', 'x-private': 'no', 'x-public': 'yes' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as { headers: Record<string, string> }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(echo.headers['x-private'], undefined);
    assert.equal(echo.headers['x-public'], 'yes');
  });

  test('node origin: chunked request body (no content-length) arrives intact', async () => {
    const payload = randomBytes(200_000);
    const res = await new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/echo`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as { bytes: number; sha256: string }));
      });
      req.on('error', reject);
      req.write(payload.subarray(0, 100_000));
      req.end(payload.subarray(100_000));
    });
    assert.equal(res.bytes, payload.length);
    assert.equal(res.sha256, sha256(payload));
  });

  test('node origin: Set-Cookie and repeated headers preserved, hop-by-hop removed', async () => {
    const res = await request(`${base}/cookies`, { dispatcher: agent });
    await res.body.dump();
    assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly']);
    assert.ok(String(res.headers['x-multi']).includes('one') && String(res.headers['x-multi']).includes('two'));
    assert.equal(res.headers['x-secret-hop'], undefined);
    assert.match(String(res.headers.via), /peerconnect/);
  });

  test('node origin: Location pointing at the origin is rewritten to the public URL', async () => {
    const res = await request(`${base}/redirect`, { dispatcher: agent });
    await res.body.dump();
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, `${base}/landing?x=1`);
    assert.equal(res.headers['content-location'], `${base}/here`);
    const away = await request(`${base}/redirect-elsewhere`, { dispatcher: agent });
    await away.body.dump();
    assert.equal(away.headers.location, 'http://example.invalid/away');
  });

  test('node origin: 200 concurrent requests all answer correctly', async () => {
    const expected = sha256(origin.files.get('/bin/mib') as Buffer);
    const results = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      const path = i % 2 === 0 ? '/bin/mib' : '/bin/one';
      const res = await request(`${base}${path}`, { dispatcher: agent });
      const body = Buffer.from(await res.body.arrayBuffer());
      return path === '/bin/mib' ? sha256(body) === expected : body.length === 1;
    }));
    assert.equal(results.filter(Boolean).length, 200);
  });

  test('node origin: a WebSocket of the site is passed through (echo)', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/socket`);
    const reply = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo')), WAIT_MS);
      ws.on('open', () => ws.send('hello through the proxy'));
      ws.on('message', (data) => {
        clearTimeout(timer);
        resolve(String(data));
      });
      ws.on('error', reject);
    });
    ws.close();
    assert.equal(reply, 'hello through the proxy');
  });

  test('node origin: hanging origin gives a 504 page', async () => {
    const res = await request(`${base}/hang`, { dispatcher: agent });
    const body = await res.body.text();
    assert.equal(res.statusCode, 504);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(body, /504/);
    assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_ORIGIN_TIMEOUT');
  });

  test('node origin: client abort mid-body closes the origin socket', async () => {
    const before = origin.closedSockets.length;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${base}/stream-forever`, { agent: false }, (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 256 * 1024) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => undefined);
      setTimeout(() => reject(new Error('no data')), WAIT_MS).unref();
      req.end();
    });
    const deadline = Date.now() + WAIT_MS;
    while (origin.closedSockets.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(origin.closedSockets.length > before, 'the origin socket was closed after the client aborted');
  });

  test('healthz answers and readyz reports the origin up', async () => {
    const health = await request(`${base}/__p2p/healthz`, { dispatcher: agent });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(await health.body.json(), { status: 'ok' });
    const ready = await request(`${base}/__p2p/readyz`, { dispatcher: agent });
    assert.equal(ready.statusCode, 200);
    assert.equal(((await ready.body.json()) as { origin: string }).origin, 'up');
  });

  test('unknown /__p2p/ route is a JSON 404, never forwarded', async () => {
    const count = origin.requests.length;
    const res = await request(`${base}/__p2p/nope`, { dispatcher: agent });
    assert.equal(res.statusCode, 404);
    assert.equal(((await res.body.json()) as { error: string }).error, 'PC_ERR_NOT_FOUND');
    assert.equal(origin.requests.length, count);
  });
});

describe('reverse proxy with the origin down', () => {
  test('origin unreachable gives a 502 page and readyz 503', async () => {
    const dead = new TestOrigin();
    const url = await dead.listen();
    await dead.close(); // the port is now closed
    const app = await startProxy({ ORIGIN: url.origin });
    try {
      const res = await request(`${app.url.origin}/anything`);
      const body = await res.body.text();
      assert.equal(res.statusCode, 502);
      assert.match(body, /502/);
      assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_ORIGIN_UNREACHABLE');
      const ready = await request(`${app.url.origin}/__p2p/readyz`);
      assert.equal(ready.statusCode, 503);
      await ready.body.dump();
    } finally {
      await app.close();
    }
  });

  test('graceful shutdown lets an in-flight response finish', async () => {
    const origin = new TestOrigin();
    await origin.listen();
    const app = await startProxy({ ORIGIN: origin.url.origin });
    try {
      const res = await request(`${app.url.origin}/chunked`);
      const closing = app.close();
      const body = Buffer.from(await res.body.arrayBuffer());
      await closing;
      assert.equal(body.length, 10_000);
      await assert.rejects(request(`${app.url.origin}/bin/one`));
    } finally {
      await app.close();
      await origin.close();
    }
  });
});


describe('revalidation of rewritten pages', () => {
  test('a weakened ETag from the browser is asked of the origin as the strong one (304)', async () => {
    const origin = new TestOrigin();
    await origin.listen();
    const app = await startProxy({ ORIGIN: origin.url.origin });
    try {
      const first = await request(`${app.url.origin}/bin/one`);
      await first.body.dump();
      const strong = first.headers.etag as string;
      const res = await request(`${app.url.origin}/bin/one`, { headers: { 'if-none-match': `W/${strong}` } });
      await res.body.dump();
      assert.equal(res.statusCode, 304);
    } finally {
      await app.close();
      await origin.close();
    }
  });
});
