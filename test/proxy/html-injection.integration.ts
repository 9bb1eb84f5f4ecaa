import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import type { RunningApp } from '../../proxy/app.js';
import { startProxy } from '../helpers/proxy.js';

const WAIT_MS = 15_000;
const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body><img src="/a.png"><p>é</p></body></html>\n';
const CONFIG_MARK = '<script type="application/json" id="__p2p-config">';

interface Reply { status: number; headers: IncomingHttpHeaders; body: Buffer }

/** Raw HTTP GET: no automatic decompression, so encodings can be checked. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** An origin whose every response shape is chosen by the path. */
function startOrigin(): Promise<{ server: Server; url: string; release: () => void }> {
  let release: () => void = () => undefined;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const html = (body: Buffer | string, headers: Record<string, string> = {}): void => {
      const bytes = Buffer.from(body);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', etag: '"v1"', 'content-length': bytes.length, ...headers });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    };
    switch (path) {
      case '/plain': return html(PAGE);
      case '/gzip': return html(gzipSync(PAGE), { 'content-encoding': 'gzip' });
      case '/br': return html(brotliCompressSync(PAGE), { 'content-encoding': 'br' });
      case '/deflate': return html(deflateSync(PAGE), { 'content-encoding': 'deflate' });
      case '/deflate-raw': return html(deflateRawSync(PAGE), { 'content-encoding': 'deflate' });
      case '/zstd': return html(Buffer.from('opaque zstd bytes'), { 'content-encoding': 'zstd' });
      case '/no-transform': return html(PAGE, { 'cache-control': 'public, no-transform' });
      case '/css': return html('body{}', { 'content-type': 'text/css' });
      case '/csp-self': return html(PAGE, { 'content-security-policy': "script-src 'self'; img-src 'self' blob:" });
      case '/csp-nonce': return html(PAGE, { 'content-security-policy': "script-src 'nonce-r4nd0m' 'strict-dynamic'" });
      case '/csp-host': return html(PAGE, { 'content-security-policy': 'default-src https://cdn.example.test' });
      case '/csp-none': return html(PAGE, { 'content-security-policy': "script-src 'none'" });
      case '/not-modified': res.writeHead(304, { etag: '"v1"' }); res.end(); return;
      case '/slow': {
        // Head first; the rest only once the test has seen the injected script.
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.write('<!doctype html><html><head><title>slow</title></head><body>' + '<p>filler</p>'.repeat(2000));
        release = () => res.end('<img src="/late.png"></body></html>');
        return;
      }
      default: res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, release: () => release() });
  }));
}

function assertInjected(text: string): void {
  assert.equal(text.split(CONFIG_MARK).length - 1, 1, 'config block injected once');
  assert.match(text, /<script src="\/__p2p\/client\.[0-9a-f]{12}\.js" defer><\/script>/);
  assert.match(text, /<img src="\/a.png" data-p2p="[\w-]{22}\.image\.http">/);
  assert.ok(text.includes('<p>é</p>'));
}

describe('HTML injection through the proxy', () => {
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let app: RunningApp;
  let base: string;

  before(async () => {
    origin = await startOrigin();
    app = await startProxy({ ORIGIN: origin.url });
    base = app.url.origin;
  });

  after(async () => {
    await app.close();
    origin.server.closeAllConnections();
    await new Promise((resolve) => origin.server.close(resolve));
  });

  test('identity: injected, Content-Length removed, ETag weakened', async () => {
    const res = await get(`${base}/plain`);
    assert.equal(res.status, 200);
    assertInjected(res.body.toString());
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers.etag, 'W/"v1"');
  });

  test('gzip: re-encoded as gzip for a client that accepts it', async () => {
    const res = await get(`${base}/gzip`, { 'accept-encoding': 'gzip, br' });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.match(String(res.headers.vary), /accept-encoding/i);
    assertInjected(gunzipSync(res.body).toString());
  });

  test('br: re-encoded as br for a client that accepts it', async () => {
    const res = await get(`${base}/br`, { 'accept-encoding': 'br' });
    assert.equal(res.headers['content-encoding'], 'br');
    assertInjected(brotliDecompressSync(res.body).toString());
  });

  test('deflate, zlib-wrapped and raw: decoded either way, re-encoded zlib-wrapped', async () => {
    for (const path of ['/deflate', '/deflate-raw']) {
      const res = await get(`${base}${path}`, { 'accept-encoding': 'deflate' });
      assert.equal(res.headers['content-encoding'], 'deflate', path);
      assertInjected(inflateSync(res.body).toString());
    }
  });

  test('gzip origin, client without gzip: sent as identity', async () => {
    const res = await get(`${base}/gzip`, { 'accept-encoding': 'identity' });
    assert.equal(res.headers['content-encoding'], undefined);
    assertInjected(res.body.toString());
  });

  test('zstd: passed through untouched (Node 20 cannot decode it)', async () => {
    const res = await get(`${base}/zstd`, { 'accept-encoding': 'zstd' });
    assert.equal(res.headers['content-encoding'], 'zstd');
    assert.equal(res.body.toString(), 'opaque zstd bytes');
    assert.equal(res.headers.etag, '"v1"');
  });

  test('Cache-Control: no-transform is respected byte for byte', async () => {
    const res = await get(`${base}/no-transform`);
    assert.equal(res.body.toString(), PAGE);
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(PAGE)));
    assert.equal(res.headers.etag, '"v1"');
  });

  test('HEAD, 304 and non-HTML responses are untouched', async () => {
    const head = await get(`${base}/plain`, {}, 'HEAD');
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(PAGE)));
    assert.equal(head.headers.etag, '"v1"');
    const notModified = await get(`${base}/not-modified`);
    assert.equal(notModified.status, 304);
    const css = await get(`${base}/css`);
    assert.equal(css.body.toString(), 'body{}');
  });

  test('fetch()/XHR requests for HTML fragments are not injected', async () => {
    const res = await get(`${base}/plain`, { 'sec-fetch-dest': 'empty' });
    assert.equal(res.body.toString(), PAGE);
  });

  test("CSP: 'self' kept as is; a nonce is reused; host lists get 'self'; 'none' is respected", async () => {
    const self = await get(`${base}/csp-self`);
    assert.equal(self.headers['content-security-policy'], "script-src 'self'; img-src 'self' blob:");
    assertInjected(self.body.toString());

    const nonce = await get(`${base}/csp-nonce`);
    assert.equal(nonce.headers['content-security-policy'], "script-src 'nonce-r4nd0m' 'strict-dynamic'");
    assert.match(nonce.body.toString(), /<script src="[^"]+" defer nonce="r4nd0m"><\/script>/);

    const host = await get(`${base}/csp-host`);
    assert.equal(host.headers['content-security-policy'], "default-src https://cdn.example.test; script-src https://cdn.example.test 'self'");
    assert.ok(host.body.toString().includes(CONFIG_MARK));

    const none = await get(`${base}/csp-none`);
    assert.equal(none.body.toString(), PAGE);
    assert.equal(none.headers['content-security-policy'], "script-src 'none'");
  });

  test('the page streams: the injected head arrives before the origin finished', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${base}/slow`, { agent: false, headers: { 'accept-encoding': 'identity' } }, (res) => {
        let seen = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (!seen.includes(CONFIG_MARK) && (seen + chunk).includes(CONFIG_MARK)) origin.release();
          seen += chunk;
        });
        res.on('end', () => resolve(seen));
      });
      req.setTimeout(WAIT_MS, () => req.destroy(new Error('the injected head never arrived before the end')));
      req.on('error', reject);
      req.end();
    });
    assert.match(text, /<img src="\/late.png" data-p2p="[\w-]{22}\.image\.http"><\/body><\/html>$/);
  });

  test('the client bundle is served with immutable caching and compressed variants', async () => {
    const scriptSrc = app.clientBundle.scriptSrc;
    assert.ok(scriptSrc);
    const plain = await get(`${base}${scriptSrc}`, { 'accept-encoding': 'identity' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    const br = await get(`${base}${scriptSrc}`, { 'accept-encoding': 'br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.ok(brotliDecompressSync(br.body).equals(plain.body));
    const again = await get(`${base}${scriptSrc}`, { 'if-none-match': String(plain.headers.etag) });
    assert.equal(again.status, 304);
    const stale = await get(`${base}/__p2p/client.000000000000.js`);
    assert.equal(stale.status, 404);
  });

  test('rewrites are counted in metrics by result', async () => {
    const values = (await app.server.metrics.htmlRewrites.get()).values;
    const count = (result: string): number => values.find((v) => v.labels.result === result)?.value ?? 0;
    assert.ok(count('rewritten') >= 8);
    assert.ok(count('skipped-no-transform') >= 1);
    assert.ok(count('skipped-encoding') >= 1);
    assert.ok(count('skipped-csp') >= 1);
  });
});
