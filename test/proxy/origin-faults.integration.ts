import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { request, Agent } from 'undici';
import { startProxy } from '../helpers/proxy.js';
import { within } from '../helpers/wait.js';
import type { RunningApp } from '../../proxy/app.js';
import type { ManifestResponse } from '../../protocol/manifest.js';

const WAIT_MS = 15_000;
const ORIGIN_TIMEOUT_MS = 1_500;
/** Large enough that the seeder's cache writer spills it to a file before the reset. */
const HALF_BODY_SIZE = 3 * 1024 * 1024;

/**
 * An origin on raw TCP, so it can misbehave below HTTP: reset a connection after
 * half a body, trickle headers, send a garbage status line or header, answer
 * 5xx while `storm` is on. Anything else is a small 200 page.
 */
class FaultyOrigin {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  storm = false;
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let head = '';
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        const [method = 'GET', path = '/'] = head.split(' ');
        this.answer(socket, method, path);
      };
      socket.on('data', onData);
    });
  }

  private answer(socket: Socket, method: string, path: string): void {
    if (path.startsWith('/keep-alive-then-close')) {
      // Keep-alive for the first request, then closed as the next one arrives:
      // the race nginx creates when keepalive_requests or keepalive_timeout runs out.
      const body = 'first on this connection';
      const type = path.endsWith('.png') ? 'image/png' : 'text/plain';
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      socket.once('data', () => socket.destroy());
      return;
    }
    if (path.startsWith('/half')) {
      const type = path.endsWith('.html') ? 'text/html' : 'image/png';
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${HALF_BODY_SIZE}\r\n\r\n`);
      socket.write(Buffer.alloc(HALF_BODY_SIZE / 2, 0x61), () => setTimeout(() => socket.resetAndDestroy(), 50));
      return;
    }
    if (path === '/slow-headers') {
      // One header byte every 200 ms: the headers never finish inside the deadline.
      socket.write('HTTP/1.1 200 OK\r\n');
      const timer = setInterval(() => socket.write('x'), 200);
      socket.on('close', () => clearInterval(timer));
      return;
    }
    if (path === '/garbage-status') {
      socket.end('HTTP/1.1 two hundred OK\r\ncontent-length: 2\r\n\r\nok');
      return;
    }
    if (path === '/garbage-header') {
      socket.end('HTTP/1.1 200 OK\r\nthis line is no header\r\ncontent-length: 2\r\n\r\nok');
      return;
    }
    if (this.storm) {
      const body = 'origin overloaded';
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    // One request per connection keeps this parser trivial; the proxy's pool reconnects.
    const body = `<!doctype html><title>ok</title><p>${path}</p>`;
    const head = `HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: text/html\r\ncontent-length: ${body.length}\r\n\r\n`;
    socket.end(method === 'HEAD' ? head : head + body);
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('origin faults: the visitor always gets an answer, nothing partial is kept', () => {
  let origin: FaultyOrigin;
  let app: RunningApp;
  let base: string;
  const agent = new Agent({ connections: 16 });

  before(async () => {
    origin = new FaultyOrigin();
    await origin.listen();
    app = await startProxy({ ORIGIN: `http://127.0.0.1:${origin.port}`, ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS) });
    base = app.url.origin;
  });

  after(async () => {
    await agent.close();
    await app.close();
    await origin.close();
  });

  for (const [kind, path] of [['image', '/half.png'], ['html (through the injector)', '/half.html']] as const) {
    test(`connection reset after half a body (${kind}): the visitor's response is aborted, not left hanging`, async () => {
      const res = await within(request(`${base}${path}`, { dispatcher: agent }), 'response headers', WAIT_MS);
      assert.equal(res.statusCode, 200);
      const outcome = await within(res.body.arrayBuffer().then((b) => `complete ${b.byteLength}`, (err: Error) => `aborted: ${err.message}`), 'end of the body', WAIT_MS);
      assert.match(outcome, /^aborted/);
    });
  }

  test('connection reset after half a body: the manifest says origin-error and the byte cache keeps no partial entry', async () => {
    const res = await within(request(`${base}/__p2p/manifest?u=${encodeURIComponent('/half.png')}`, { dispatcher: agent }), 'manifest', WAIT_MS);
    const body = await res.body.json() as { error: string; assets: { error?: string; sha256?: string }[] };
    assert.equal(res.statusCode, 502);
    assert.equal(body.error, 'PC_ERR_ORIGIN_FAILED');
    assert.equal(body.assets[0]?.error, 'origin-error');
    assert.equal(body.assets[0]?.sha256, undefined);
    const cache = app.seeder.cache;
    assert.equal(cache.size, 0);
    assert.equal(cache.totalBytes, 0);
    // The half body had spilled to a file: that file is removed too.
    const dir = dirname(await cache.pinnedPath('probe'));
    let left: string[] = [];
    const poll = async (): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith('b'));
    const deadline = Date.now() + WAIT_MS;
    while ((left = await poll()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(left, []);
  });

  test('slow headers (trickled past ORIGIN_TIMEOUT_MS) give a 504 page PC_ERR_ORIGIN_TIMEOUT', async () => {
    const res = await within(request(`${base}/slow-headers`, { dispatcher: agent }), 'answer', WAIT_MS);
    const text = await res.body.text();
    assert.equal(res.statusCode, 504);
    assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_ORIGIN_TIMEOUT');
    assert.match(text, /504/);
  });

  for (const path of ['/garbage-status', '/garbage-header']) {
    test(`${path.slice(1)}: a 502 page PC_ERR_ORIGIN_PROTOCOL, and the next request is served`, async () => {
      const res = await within(request(`${base}${path}`, { dispatcher: agent }), 'answer', WAIT_MS);
      await res.body.dump();
      assert.equal(res.statusCode, 502);
      assert.equal(res.headers['x-peerconnect-error'], 'PC_ERR_ORIGIN_PROTOCOL');
      const next = await request(`${base}/after-garbage`, { dispatcher: agent });
      assert.equal(next.statusCode, 200);
      assert.match(await next.body.text(), /after-garbage/);
    });
  }

  test('a 5xx storm is relayed as the origin said it (no proxy error page), and pages come back when it ends', async () => {
    origin.storm = true;
    try {
      const answers = await within(Promise.all(Array.from({ length: 200 }, async (_, i) => {
        const res = await request(`${base}/storm-${i}`, { dispatcher: agent });
        const text = await res.body.text();
        return { status: res.statusCode, code: res.headers['x-peerconnect-error'], text };
      })), '200 answers during the storm', WAIT_MS);
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([503]));
      assert.ok(answers.every((a) => a.code === undefined && a.text === 'origin overloaded'));
    } finally {
      origin.storm = false;
    }
    const res = await request(`${base}/calm`, { dispatcher: agent });
    assert.equal(res.statusCode, 200);
    assert.match(await res.body.text(), /calm/);
  });
});

describe('origin down at start, then back', () => {
  test('502 PC_ERR_ORIGIN_UNREACHABLE and readyz 503 while it is down; pages and readyz 200 once it listens again', async () => {
    const probe = new FaultyOrigin();
    const port = await probe.listen();
    await probe.close(); // the port is now closed
    const app = await startProxy({ ORIGIN: `http://127.0.0.1:${port}`, ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS) });
    const origin = new FaultyOrigin();
    try {
      const down = await request(`${app.url.origin}/page`);
      await down.body.dump();
      assert.equal(down.statusCode, 502);
      assert.equal(down.headers['x-peerconnect-error'], 'PC_ERR_ORIGIN_UNREACHABLE');
      const notReady = await request(`${app.url.origin}/__p2p/readyz`);
      await notReady.body.dump();
      assert.equal(notReady.statusCode, 503);

      await origin.listen(port);
      const up = await request(`${app.url.origin}/page`);
      assert.equal(up.statusCode, 200);
      assert.match(await up.body.text(), /\/page/);
      const ready = await request(`${app.url.origin}/__p2p/readyz`);
      await ready.body.dump();
      assert.equal(ready.statusCode, 200);
    } finally {
      await app.close();
      await origin.close().catch(() => undefined);
    }
  });
});

describe('origin closing a kept-alive connection under the next request', () => {
  test('GET is sent again on a fresh connection: the visitor gets the page, not a 502', async () => {
    const origin = new FaultyOrigin();
    await origin.listen();
    const app = await startProxy({ ORIGIN: `http://127.0.0.1:${origin.port}`, ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS) });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await within(request(`${app.url.origin}/keep-alive-then-close`), `answer ${i}`, WAIT_MS);
        const text = await res.body.text();
        assert.equal(res.statusCode, 200, `request ${i}: ${text}`);
        assert.equal(text, 'first on this connection');
      }
    } finally {
      await app.close();
      await origin.close();
    }
  });

  test('the seeder\'s own fetch (a manifest) is sent again too: each new image is indexed, none answered origin-error', async () => {
    const origin = new FaultyOrigin();
    await origin.listen();
    const app = await startProxy({ ORIGIN: `http://127.0.0.1:${origin.port}`, ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS) });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await within(request(`${app.url.origin}/__p2p/manifest?u=${encodeURIComponent(`/keep-alive-then-close-${i}.png`)}`), `manifest ${i}`, WAIT_MS);
        const body = (await res.body.json()) as ManifestResponse;
        assert.equal(res.statusCode, 200);
        const [entry] = body.assets;
        assert.equal(entry?.error, undefined, `manifest ${i}: ${JSON.stringify(entry)}`);
        assert.equal(entry?.size, 'first on this connection'.length);
      }
    } finally {
      await app.close();
      await origin.close();
    }
  });
});
