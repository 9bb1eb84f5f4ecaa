import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { CLOSE_REASONS, ERROR_CODES, PeerConnectError, type ErrorCode } from '../../core/errors.js';
import { ERROR_CODE_HEADER, sendErrorPage, sendErrorStatus, sendJsonError, sendSocketError } from '../../core/http/error-response.js';

/** Failures that never become an HTTP answer: bad config at start, a certificate order in the background, an unwritable torrentRoute. */
const NOT_HTTP = new Set(['PC_ERR_CONFIG', 'PC_ERR_ACME_ORDER', 'PC_ERR_TORRENT_ROUTE']);

test('every catalog code is PC_ERR_* with a real HTTP error status (start-up and background errors excepted)', () => {
  for (const [code, { status, message }] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^PC_ERR_[A-Z_]+$/);
    assert.ok(message.length > 0, code);
    if (NOT_HTTP.has(code)) assert.equal(status, 0);
    else assert.ok(status >= 400 && status <= 599 && STATUS_CODES[status], `${code}: ${status}`);
  }
  assert.equal(ERROR_CODES.PC_ERR_INTERNAL.status, 500);
  assert.equal(ERROR_CODES.PC_ERR_RANGE.status, 416);
  assert.equal(ERROR_CODES.PC_ERR_FORBIDDEN_URL.status, 403);
  assert.equal(ERROR_CODES.PC_ERR_METHOD_NOT_ALLOWED.status, 405);
});

test('PeerConnectError carries the code and its status', () => {
  const err = new PeerConnectError('PC_ERR_RANGE');
  assert.equal(err.code, 'PC_ERR_RANGE');
  assert.equal(err.status, 416);
  assert.equal(err.message, ERROR_CODES.PC_ERR_RANGE.message);
});

test('close reasons are valid close frames: registered codes, reasons within 123 bytes, one entry per text', () => {
  const texts = new Set<string>();
  for (const [name, { code, reason }] of Object.entries(CLOSE_REASONS)) {
    assert.ok([1000, 1001, 1008, 1011, 1013].includes(code), name);
    assert.ok(Buffer.byteLength(reason) <= 123, name);
    assert.ok(!texts.has(reason), `${name}: duplicate reason text`);
    texts.add(reason);
  }
  assert.equal(CLOSE_REASONS.SERVER_CLOSING.code, 1001);
  assert.equal(CLOSE_REASONS.TOO_MANY_INVALID.code, 1008);
  assert.equal(CLOSE_REASONS.REGISTRY_FULL.code, 1013);
});

describe('error answers', () => {
  let server: Server;
  let base: string;
  const handlers = new Map<string, (res: ServerResponse) => void>();

  before(async () => {
    server = createServer((req, res) => handlers.get(req.url ?? '')?.(res));
    server.on('upgrade', (_req, socket) => sendSocketError(socket, 'PC_ERR_RATE_LIMITED'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const answer = async (path: string, send: (res: ServerResponse) => void): Promise<Response> => {
    handlers.set(path, send);
    return fetch(`${base}${path}`);
  };

  test('JSON: status and code from the catalog, extra headers and fields kept', async () => {
    const res = await answer('/json', (r) => sendJsonError(r, 'PC_ERR_RANGE', undefined, {
      headers: { 'content-range': 'bytes */10' }, fields: { assets: [] },
    }));
    assert.equal(res.status, 416);
    assert.equal(res.headers.get(ERROR_CODE_HEADER), 'PC_ERR_RANGE');
    assert.equal(res.headers.get('content-range'), 'bytes */10');
    assert.deepEqual(await res.json(), { assets: [], error: 'PC_ERR_RANGE', message: 'Range not satisfiable' });
  });

  test('JSON: extra fields cannot replace the code', async () => {
    const res = await answer('/json-fields', (r) => sendJsonError(r, 'PC_ERR_NOT_FOUND', undefined, { fields: { error: 'other' } }));
    assert.equal(((await res.json()) as { error: string }).error, 'PC_ERR_NOT_FOUND');
  });

  test('bodyless: 405 with Allow and the code in the header', async () => {
    const res = await answer('/status', (r) => sendErrorStatus(r, 'PC_ERR_METHOD_NOT_ALLOWED', { allow: 'GET, HEAD' }));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    assert.equal(res.headers.get(ERROR_CODE_HEADER), 'PC_ERR_METHOD_NOT_ALLOWED');
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  test('HTML page: status, code and request id, detail escaped', async () => {
    const res = await answer('/page', (r) => sendErrorPage(r, 'PC_ERR_INTERNAL', 'req-1', '<b>'));
    const body = await res.text();
    assert.equal(res.status, 500);
    assert.equal(res.headers.get(ERROR_CODE_HEADER), 'PC_ERR_INTERNAL');
    assert.match(body, /PC_ERR_INTERNAL · request req-1/);
    assert.ok(body.includes('&lt;b&gt;') && !body.includes('<b>'));
  });

  test('raw socket: a full HTTP answer with the code, then the socket closes', async () => {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write('GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
    let raw = '';
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    await new Promise((resolve) => socket.on('close', resolve));
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    assert.match(head, /\r\nx-peerconnect-error: PC_ERR_RATE_LIMITED(\r\n|$)/);
    assert.match(head, new RegExp(`\\r\\ncontent-length: ${Buffer.byteLength(body)}(\\r\\n|$)`));
    assert.equal((JSON.parse(body) as { error: ErrorCode }).error, 'PC_ERR_RATE_LIMITED');
  });
});
