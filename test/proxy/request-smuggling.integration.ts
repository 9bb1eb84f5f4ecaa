import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { RunningApp } from '../../proxy/app.js';
import { startProxy } from '../helpers/proxy.js';
import { within } from '../helpers/wait.js';

const ANSWER_MS = 5_000;

/**
 * An origin on a raw socket, so the test sees every byte the proxy sends it and
 * can answer with broken framing. Each connection is numbered; every request
 * line it reads is recorded with that number.
 */
class RawOrigin {
  readonly server: Server;
  readonly requests: { connection: number; line: string; raw: string }[] = [];
  connections = 0;
  readonly closed = new Set<number>();
  /** The answer to `GET /broken`: a response with conflicting framing. */
  brokenAnswer = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  url!: URL;

  constructor() {
    this.server = createServer((socket) => this.serve(socket, ++this.connections));
  }

  private serve(socket: Socket, connection: number): void {
    let buffered = '';
    socket.on('error', () => undefined);
    socket.on('close', () => this.closed.add(connection));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      // Requests in these tests have no body: each ends at the blank line.
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
        const raw = buffered.slice(0, end + 4);
        buffered = buffered.slice(end + 4);
        const line = raw.slice(0, raw.indexOf('\r\n'));
        this.requests.push({ connection, line, raw });
        if (line.startsWith('GET /broken ')) socket.write(this.brokenAnswer);
        // An upload the origin waits for in full: only the proxy's timeout can end it.
        else if (line.startsWith('POST /upload ')) return;
        else socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  }

  async listen(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
    return this.url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Sends raw bytes to the proxy and reads until it closes the connection (or ANSWER_MS passes). */
async function rawExchange(port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(bytes);
  await within(new Promise((resolve) => socket.once('close', resolve)), 'the proxy closing the connection', ANSWER_MS);
  return Buffer.concat(chunks).toString('latin1');
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

describe('HTTP request smuggling against the real proxy', () => {
  let origin: RawOrigin;
  let app: RunningApp;
  let port: number;

  before(async () => {
    origin = new RawOrigin();
    const url = await origin.listen();
    app = await startProxy({ ORIGIN: url.href.replace(/\/$/, '') });
    port = Number(app.url.port);
  });

  after(async () => {
    await app.close();
    await origin.close();
  });

  const attempts: [string, string][] = [
    ['Content-Length with Transfer-Encoding: chunked (CL.TE)',
      `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['Transfer-Encoding: chunked, identity',
      `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['Transfer-Encoding not ending in chunked, with Content-Length',
      `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc${SMUGGLED}`],
    ['two different Content-Length headers',
      `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
    ['a Content-Length list',
      `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0, ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
    ['obs-fold (a header continued on the next line)',
      `GET /a HTTP/1.1\r\nHost: x\r\nX-Folded: one\r\n two\r\n\r\n`],
    ['an obs-folded Transfer-Encoding',
      `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUGGLED.length}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n${SMUGGLED}`],
    ['whitespace before the colon (Transfer-Encoding : chunked)',
      `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['a bare LF inside a chunked body',
      `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\n\r\n${SMUGGLED}`],
    ['a negative Content-Length',
      `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n${SMUGGLED}`],
    ['a header line with no colon',
      `GET /a HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n`],
  ];

  for (const [name, bytes] of attempts) {
    test(`${name}: 400, the connection is closed, nothing reaches the origin`, async () => {
      const seen = origin.requests.length;
      const answer = await rawExchange(port, bytes);
      assert.equal(statusOf(answer), 400, `answer was: ${answer.slice(0, 200)}`);
      assert.match(answer, /x-peerconnect-error: PC_ERR_BAD_REQUEST/i);
      assert.equal(origin.requests.length, seen, `the origin got ${origin.requests.slice(seen).map((r) => r.line).join(', ')}`);
    });
  }

  test('oversized headers (64 KiB): 400, nothing reaches the origin', async () => {
    const seen = origin.requests.length;
    const answer = await rawExchange(port, `GET /a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    assert.equal(statusOf(answer), 400, `answer was: ${answer.slice(0, 200)}`);
    assert.equal(origin.requests.length, seen);
  });

  test('a valid request on the same socket after a valid one is forwarded as its own request (control)', async () => {
    const seen = origin.requests.length;
    const answer = await rawExchange(port, 'GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal((answer.match(/HTTP\/1\.1 200/g) ?? []).length, 2);
    assert.deepEqual(origin.requests.slice(seen).map((r) => r.line), ['GET /one HTTP/1.1', 'GET /two HTTP/1.1']);
  });

  test('an origin answer with conflicting framing is a 502, and that origin connection is not used again', async () => {
    const warm = await fetch(new URL('/warm', app.url));
    assert.equal(warm.status, 200);
    const broken = await fetch(new URL('/broken', app.url));
    await broken.arrayBuffer().catch(() => undefined);
    assert.equal(broken.status, 502);
    const brokenOn = origin.requests.find((r) => r.line.startsWith('GET /broken '))!.connection;
    const next = await fetch(new URL('/after', app.url));
    assert.equal(next.status, 200);
    const afterOn = origin.requests.find((r) => r.line.startsWith('GET /after '))!.connection;
    assert.notEqual(afterOn, brokenOn, 'the request after the framing error went on the broken connection');
  });
});

/** Writes `bytes` one at a time, `everyMs` apart, until the socket closes; resolves with what came back. */
function trickle(port: number, bytes: string, everyMs: number): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= bytes.length) return;
    socket.write(bytes[i++]!);
  }, everyMs);
  const answer = new Promise<string>((resolve) => socket.once('close', () => {
    clearInterval(timer);
    resolve(Buffer.concat(chunks).toString('latin1'));
  }));
  return { socket, answer };
}

describe('slow clients against the real proxy', () => {
  const HEADERS_MS = 1_000;
  const REQUEST_MS = 2_000;
  /** Timeouts are checked every second: the cut comes within the timeout plus that plus slack. */
  const CUT_WITHIN_MS = REQUEST_MS + 5_000;
  let origin: RawOrigin;
  let app: RunningApp;
  let port: number;

  before(async () => {
    origin = new RawOrigin();
    const url = await origin.listen();
    app = await startProxy({
      ORIGIN: url.href.replace(/\/$/, ''),
      CLIENT_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      CLIENT_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
    });
    port = Number(app.url.port);
  });

  after(async () => {
    await app.close();
    await origin.close();
  });

  test('slowloris: 30 connections trickling headers are answered 408 and closed, while others are served meanwhile', async () => {
    const slow = Array.from({ length: 30 }, () => trickle(port, 'GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: ' + 'a'.repeat(200) + '\r\n\r\n', 100));
    try {
      for (let i = 0; i < 5; i++) {
        const res = await within(fetch(new URL(`/meanwhile-${i}`, app.url)), 'a normal request during the slowloris', ANSWER_MS);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), 'ok');
      }
      const answers = await within(Promise.all(slow.map((s) => s.answer)), 'every slow connection being cut', CUT_WITHIN_MS);
      for (const answer of answers) {
        assert.equal(statusOf(answer), 408, `answer was: ${answer.slice(0, 120)}`);
        assert.match(answer, /x-peerconnect-error: PC_ERR_REQUEST_TIMEOUT/i);
      }
      assert.equal(origin.requests.filter((r) => r.line.startsWith('GET /slow ')).length, 0, 'no slow request reached the origin');
    } finally {
      for (const s of slow) s.socket.destroy();
    }
  });

  test('a slow POST body is cut with 408, and its origin connection is closed too', async () => {
    const head = 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n';
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(head);
    const timer = setInterval(() => { if (!socket.destroyed) socket.write('x'); }, 100);
    try {
      await within(new Promise((resolve) => socket.once('close', resolve)), 'the slow upload being cut', CUT_WITHIN_MS);
    } finally {
      clearInterval(timer);
      socket.destroy();
    }
    const answer = Buffer.concat(chunks).toString('latin1');
    assert.equal(statusOf(answer), 408, `answer was: ${answer.slice(0, 120)}`);
    const upload = origin.requests.find((r) => r.line.startsWith('POST /upload '));
    assert.ok(upload, 'the upload had reached the origin');
    const deadline = Date.now() + ANSWER_MS;
    while (!origin.closed.has(upload.connection) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.ok(origin.closed.has(upload.connection), 'the origin connection of the cut upload was left open');
    const res = await fetch(new URL('/after-upload', app.url));
    assert.equal(res.status, 200);
  });
});
