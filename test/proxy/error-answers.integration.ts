import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { request } from 'undici';
import WebSocket from 'ws';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';
import { startApp, type RunningApp } from '../../proxy/app.js';
import { TestOrigin } from '../helpers/test-origin.js';
import { startProxy } from '../helpers/proxy.js';

const WAIT_MS = 10_000;
const SECRET = 'secret-detail-from-a-failing-route';

interface ErrorBody { error: string; message: string; requestId?: string }

/** Status, catalog code header and body of a refused WebSocket upgrade. */
function refusedUpgrade(url: URL): Promise<{ status: number; code: string | undefined; body: string }> {
  const target = new URL(url);
  target.protocol = 'ws:';
  const ws = new WebSocket(target.href);
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no upgrade answer')), WAIT_MS);
    ws.once('open', () => reject(new Error('upgrade was accepted')));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, code: res.headers['x-peerconnect-error'] as string | undefined, body });
      });
    });
  });
}

describe('error answers from the catalog', () => {
  let origin: TestOrigin;
  let app: RunningApp;
  let base: string;
  let logText = '';

  before(async () => {
    origin = new TestOrigin();
    await origin.listen();
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', SEEDER_MODE: 'off', ORIGIN: origin.url.origin });
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logText += chunk.toString();
        done();
      },
    });
    app = await startApp(config, createLogger('error', { destination }));
    base = app.url.origin;
    app.server.router.route('test-crash', () => {
      throw new Error(SECRET);
    });
    app.server.router.route('test-crash-async', async () => {
      await Promise.resolve();
      throw new Error(SECRET);
    });
    app.server.router.upgrade('test-crash-ws', () => {
      throw new Error(SECRET);
    });
  });

  after(async () => {
    await app.close();
    await origin.close();
  });

  for (const path of ['test-crash', 'test-crash-async']) {
    test(`${path}: a route that throws is 500 PC_ERR_INTERNAL, logged with the request id, no internals in the body`, async () => {
      const res = await request(`${base}/__p2p/${path}`, { headers: { 'x-request-id': `crash-${path}` } });
      const text = await res.body.text();
      assert.equal(res.statusCode, 500);
      assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_INTERNAL');
      const body = JSON.parse(text) as ErrorBody;
      assert.equal(body.error, 'PC_ERR_INTERNAL');
      assert.equal(body.requestId, `crash-${path}`);
      assert.ok(!text.includes(SECRET), text);
      assert.ok(!/\bat .*\.ts:\d+/.test(text), `stack in the body: ${text}`);
      const line = logText.split('\n').find((l) => l.includes(`crash-${path}`));
      assert.ok(line, `no log line with the request id in ${logText}`);
      assert.ok(line.includes(SECRET), 'the log keeps the error');
    });
  }

  test('a crash while forwarding is a 500 page with PC_ERR_INTERNAL, not an origin error', async () => {
    const forward = app.server.forwarder.forward.bind(app.server.forwarder);
    app.server.forwarder.forward = () => Promise.reject(new Error(SECRET));
    try {
      const res = await request(`${base}/bin/one`, { headers: { 'x-request-id': 'crash-forward' } });
      const text = await res.body.text();
      assert.equal(res.statusCode, 500);
      assert.match(res.headers['content-type'] as string, /text\/html/);
      assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_INTERNAL');
      assert.match(text, /PC_ERR_INTERNAL · request crash-forward/);
      assert.ok(!text.includes(SECRET));
    } finally {
      app.server.forwarder.forward = forward;
    }
  });

  test('a throwing upgrade handler answers 500 PC_ERR_INTERNAL and the server keeps running', async () => {
    const refused = await refusedUpgrade(new URL('/__p2p/test-crash-ws', base));
    assert.equal(refused.status, 500);
    assert.equal(refused.code, 'PC_ERR_INTERNAL');
    assert.ok(!refused.body.includes(SECRET));
    const health = await request(`${base}/__p2p/healthz`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
  });

  test('router: a wrong method is a bodyless 405 with Allow and PC_ERR_METHOD_NOT_ALLOWED', async () => {
    const res = await request(`${base}/__p2p/healthz`, { method: 'DELETE' });
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
    assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_METHOD_NOT_ALLOWED');
    assert.equal((await res.body.arrayBuffer()).byteLength, 0);
  });

  test('router: an unknown route is 404 PC_ERR_NOT_FOUND in body and header', async () => {
    const res = await request(`${base}/__p2p/nope`);
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_NOT_FOUND');
    assert.equal(((await res.body.json()) as ErrorBody).error, 'PC_ERR_NOT_FOUND');
  });

  test('an upgrade to an unknown /__p2p/ path is 404 PC_ERR_NOT_FOUND', async () => {
    const refused = await refusedUpgrade(new URL('/__p2p/nope', base));
    assert.equal(refused.status, 404);
    assert.equal(refused.code, 'PC_ERR_NOT_FOUND');
    assert.equal((JSON.parse(refused.body) as ErrorBody).error, 'PC_ERR_NOT_FOUND');
  });
});

describe('upgrade error answers with the origin down', () => {
  test('a site WebSocket to an unreachable origin is 502 PC_ERR_ORIGIN_UNREACHABLE', async () => {
    const dead = new TestOrigin();
    const url = await dead.listen();
    await dead.close();
    const app = await startProxy({ ORIGIN: url.origin });
    try {
      const refused = await refusedUpgrade(new URL('/ws', app.url));
      assert.equal(refused.status, 502);
      assert.equal(refused.code, 'PC_ERR_ORIGIN_UNREACHABLE');
    } finally {
      await app.close();
    }
  });
});
