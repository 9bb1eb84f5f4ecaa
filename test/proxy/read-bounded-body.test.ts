import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { readBoundedBody, type BodyResult } from '../../proxy/stats/read-bounded-body.js';

const MAX = 64;
/** Long enough never to fire in the tests that are not about it: a result of 'timeout' there is a failure. */
const PATIENT_MS = 20_000;
const IMPATIENT_MS = 50;

let server: Server;
let port: number;
const sockets = new Set<Socket>();

before(async () => {
  server = createServer((req, res) => {
    const timeout = req.url === '/impatient' ? IMPATIENT_MS : PATIENT_MS;
    void readBoundedBody(req, MAX, timeout).then((result) => {
      const body = JSON.stringify(result.ok ? { ok: true, body: result.body.toString('latin1') } : result);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends raw request bytes; resolves with the server's verdict (the JSON body of its answer). */
function send(head: string, body: string | Buffer = '', { end = true, path = '/' } = {}): Promise<BodyResult | { ok: true; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => { answer += data; });
    socket.on('error', reject);
    socket.on('close', () => {
      sockets.delete(socket);
      const json = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      try {
        resolve(JSON.parse(json) as BodyResult);
      } catch {
        reject(new Error(`no verdict in ${JSON.stringify(answer)}`));
      }
    });
    socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\n${head}\r\n`);
    socket.write(body);
    if (end) socket.end();
  });
}

test('a body within the bound is returned whole', async () => {
  assert.deepEqual(await send('content-length: 5\r\n', 'hello'), { ok: true, body: 'hello' });
  assert.deepEqual(await send('content-length: 0\r\n'), { ok: true, body: '' });
});

test('a body of exactly maxBytes is accepted, chunked or with a length', async () => {
  const body = 'x'.repeat(MAX);
  assert.deepEqual(await send(`content-length: ${MAX}\r\n`, body), { ok: true, body });
  const chunked = `${MAX.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  assert.deepEqual(await send('transfer-encoding: chunked\r\n', chunked), { ok: true, body });
});

test('an oversize Content-Length is refused before any body byte arrives', async () => {
  // No body is sent and the socket stays open: only the declared length can decide.
  assert.deepEqual(await send(`content-length: ${MAX + 1}\r\n`, '', { end: false }), { ok: false, reason: 'too-large' });
});

test('a chunked body that grows past the bound is refused without waiting for its end', async () => {
  const chunk = 'y'.repeat(40);
  const twoChunks = `28\r\n${chunk}\r\n28\r\n${chunk}\r\n`;
  assert.deepEqual(await send('transfer-encoding: chunked\r\n', twoChunks, { end: false }), { ok: false, reason: 'too-large' });
});

test('a body that stops arriving ends in timeout', async () => {
  assert.deepEqual(await send('content-length: 10\r\n', 'abc', { end: false, path: '/impatient' }), { ok: false, reason: 'timeout' });
});

test('a client that goes away mid-body ends in aborted', async () => {
  let report: (result: BodyResult) => void = () => {};
  const verdict = new Promise<BodyResult>((resolve) => { report = resolve; });
  const once = createServer((req, res) => {
    void readBoundedBody(req, MAX, PATIENT_MS).then((result) => {
      report(result);
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => once.listen(0, '127.0.0.1', resolve));
  const socket = connect((once.address() as AddressInfo).port, '127.0.0.1');
  socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc', () => setImmediate(() => socket.destroy()));
  try {
    assert.deepEqual(await verdict, { ok: false, reason: 'aborted' });
  } finally {
    once.closeAllConnections();
    await new Promise((resolve) => once.close(resolve));
  }
});
