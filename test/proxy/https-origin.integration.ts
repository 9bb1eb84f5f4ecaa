import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { TestCa } from './test-ca.js';
import { startProxy } from '../helpers/proxy.js';
import { within } from '../helpers/wait.js';
import { ConfigError } from '../../core/errors.js';
import type { RunningApp } from '../../proxy/app.js';

const WAIT_MS = 10_000;
/** The origin's headers deadline; SSE gaps are twice as long. */
const ORIGIN_TIMEOUT_MS = 300;
const SSE_GAP_MS = ORIGIN_TIMEOUT_MS * 2;
const SSE_EVENTS = 3;

/** An https origin (certificate from the test CA) with a WebSocket echo and an SSE stream that pauses between events. */
async function startHttpsOrigin(ca: TestCa): Promise<{ server: HttpsServer; url: string; close(): Promise<void> }> {
  const leaf = ca.issue(['localhost']);
  const server = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      let sent = 0;
      const tick = (): void => {
        res.write(`data: event-${sent}\n\n`);
        if (++sent === SSE_EVENTS) return void res.end();
        setTimeout(tick, SSE_GAP_MS);
      };
      setTimeout(tick, SSE_GAP_MS);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`secure origin saw ${req.headers['x-forwarded-proto']}`);
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${data.toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `https://localhost:${port}`,
    close: () => new Promise((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function echoOnce(url: string): Promise<string> {
  return within(new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => ws.send('hello'));
    ws.once('message', (data) => { resolve(data.toString()); ws.close(); });
    ws.once('unexpected-response', (_req, res) => { reject(new Error(`upgrade refused: ${res.statusCode}`)); ws.terminate(); });
    ws.once('error', reject);
  }), 'websocket echo', WAIT_MS);
}

describe('an https:// ORIGIN with a private CA (ORIGIN_CA_FILE)', () => {
  let ca: TestCa;
  let origin: Awaited<ReturnType<typeof startHttpsOrigin>>;
  let app: RunningApp;

  before(async () => {
    ca = new TestCa('Origin CA');
    origin = await startHttpsOrigin(ca);
    app = await startProxy({ ORIGIN: origin.url, ORIGIN_CA_FILE: ca.certFile, ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS) });
  });

  after(async () => {
    await app?.close();
    await origin?.close();
    ca?.remove();
  });

  test('https origin: plain requests are forwarded over verified TLS', async () => {
    const res = await request(`${app.url.origin}/`);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'secure origin saw http');
  });

  test('https origin: a WebSocket echo passes through the proxy (TLS with SNI to the origin)', async () => {
    assert.equal(await echoOnce(`ws://127.0.0.1:${app.url.port}/echo`), 'echo:hello');
  });

  test('https origin: an SSE stream with gaps longer than ORIGIN_TIMEOUT_MS passes whole', async () => {
    const res = await request(`${app.url.origin}/events`, { bodyTimeout: 0 });
    assert.equal(res.statusCode, 200);
    const body = await within(res.body.text(), 'SSE stream end', WAIT_MS);
    assert.equal(body, Array.from({ length: SSE_EVENTS }, (_, i) => `data: event-${i}\n\n`).join(''));
  });
});

describe('an https:// ORIGIN whose CA is not trusted', () => {
  let ca: TestCa;
  let origin: Awaited<ReturnType<typeof startHttpsOrigin>>;
  let app: RunningApp;

  before(async () => {
    ca = new TestCa('Unknown CA');
    origin = await startHttpsOrigin(ca);
    app = await startProxy({ ORIGIN: origin.url });
  });

  after(async () => {
    await app?.close();
    await origin?.close();
    ca?.remove();
  });

  test('untrusted origin certificate: requests get 502, upgrades are refused', async () => {
    const res = await request(`${app.url.origin}/`);
    assert.equal(res.statusCode, 502);
    await res.body.dump();
    await assert.rejects(echoOnce(`ws://127.0.0.1:${app.url.port}/echo`), /upgrade refused: 502/);
  });

  test('ORIGIN_CA_FILE that cannot be read stops the start with its key', async () => {
    await assert.rejects(startProxy({ ORIGIN: origin.url, ORIGIN_CA_FILE: '/nonexistent/ca.pem' }), (err: unknown) =>
      err instanceof ConfigError && /ORIGIN_CA_FILE="\/nonexistent\/ca.pem": cannot read file/.test(err.message));
  });
});
