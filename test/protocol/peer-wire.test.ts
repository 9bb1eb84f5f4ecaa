import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHUNK_HEADER_BYTES, CHUNK_PAYLOAD_BYTES, MAX_FRAME_BYTES, PeerWireError,
  decodeChunk, encodeChunk, parseControlMessage,
} from '../../protocol/peer-wire.js';

const ASSET = 'AbCdEfGhIjKlMnOpQrSt_-';
const control = (fields: Record<string, unknown>): string => JSON.stringify({ v: 1, ...fields });

test('control: each message type parses to exactly its fields', () => {
  assert.deepEqual(parseControlMessage(control({ type: 'request', req: 7, asset: ASSET, url: '/a.png', extra: 'dropped' })), {
    v: 1, type: 'request', req: 7, asset: ASSET, url: '/a.png',
  });
  assert.deepEqual(parseControlMessage(control({ type: 'header', req: 7, size: 1234 })), { v: 1, type: 'header', req: 7, size: 1234 });
  assert.deepEqual(parseControlMessage(control({ type: 'decline', req: 7, reason: 'busy' })), { v: 1, type: 'decline', req: 7, reason: 'busy' });
  assert.deepEqual(parseControlMessage(control({ type: 'cancel', req: 0 })), { v: 1, type: 'cancel', req: 0 });
});

test('control: an unknown decline reason reads as bad-request instead of failing the channel', () => {
  assert.deepEqual(parseControlMessage(control({ type: 'decline', req: 1, reason: 'tired' })), { v: 1, type: 'decline', req: 1, reason: 'bad-request' });
  assert.deepEqual(parseControlMessage(control({ type: 'decline', req: 1 })), { v: 1, type: 'decline', req: 1, reason: 'bad-request' });
});

test('control: request ids must be 32-bit unsigned integers', () => {
  assert.equal((parseControlMessage(control({ type: 'cancel', req: 0xffffffff })) as { req: number }).req, 0xffffffff);
  for (const req of [-1, 0x100000000, 1.5, '1', null, undefined, Number.NaN]) {
    assert.throws(() => parseControlMessage(control({ type: 'cancel', req })), PeerWireError, String(req));
  }
});

test('control: request needs an asset id and a bounded url', () => {
  assert.throws(() => parseControlMessage(control({ type: 'request', req: 1, asset: 'short', url: '/a' })), /asset/);
  assert.throws(() => parseControlMessage(control({ type: 'request', req: 1, asset: ASSET })), /url/);
  assert.throws(() => parseControlMessage(control({ type: 'request', req: 1, asset: ASSET, url: 'x'.repeat(2049) })), /url/);
  assert.equal((parseControlMessage(control({ type: 'request', req: 1, asset: ASSET, url: 'x'.repeat(2048) })) as { url: string }).url.length, 2048);
});

test('control: header sizes are whole bytes up to 64 MiB', () => {
  assert.equal((parseControlMessage(control({ type: 'header', req: 1, size: 0 })) as { size: number }).size, 0);
  assert.equal((parseControlMessage(control({ type: 'header', req: 1, size: 64 * 1024 * 1024 })) as { size: number }).size, 64 * 1024 * 1024);
  for (const size of [-1, 64 * 1024 * 1024 + 1, 2.5, '10', undefined]) {
    assert.throws(() => parseControlMessage(control({ type: 'header', req: 1, size })), /size/, String(size));
  }
});

test('control: malformed frames throw PeerWireError, never anything else', () => {
  const bad = [
    '', 'not json', 'null', '[]', '42', '"text"',
    JSON.stringify({ type: 'cancel', req: 1 }),
    JSON.stringify({ v: 2, type: 'cancel', req: 1 }),
    control({ type: 'hello', req: 1 }),
    control({ req: 1 }),
    control({ type: 'cancel', req: 1, pad: 'x'.repeat(5000) }),
  ];
  for (const raw of bad) {
    assert.throws(() => parseControlMessage(raw), PeerWireError, raw.slice(0, 40));
  }
});

test('chunk: encode then decode gives back the header fields and the payload', () => {
  const payload = Uint8Array.from([1, 2, 3, 4, 5]);
  const frame = encodeChunk(0xfffffffe, 10, 15, payload);
  assert.equal(frame.byteLength, CHUNK_HEADER_BYTES + payload.byteLength);
  const decoded = decodeChunk(frame);
  assert.equal(decoded.req, 0xfffffffe);
  assert.equal(decoded.offset, 10);
  assert.equal(decoded.total, 15);
  assert.deepEqual([...decoded.payload], [1, 2, 3, 4, 5]);
});

test('chunk: the header is big-endian u32 request id, offset, total', () => {
  const frame = encodeChunk(0x01020304, 0x05060708, 0x00a00000, new Uint8Array(0));
  assert.deepEqual([...frame], [1, 2, 3, 4, 5, 6, 7, 8, 0, 0xa0, 0, 0]);
});

test('chunk: a full payload fills one frame exactly; one byte more is refused', () => {
  const full = encodeChunk(1, 0, CHUNK_PAYLOAD_BYTES, new Uint8Array(CHUNK_PAYLOAD_BYTES));
  assert.equal(full.byteLength, MAX_FRAME_BYTES);
  assert.equal(decodeChunk(full).payload.byteLength, CHUNK_PAYLOAD_BYTES);
  assert.throws(() => encodeChunk(1, 0, CHUNK_PAYLOAD_BYTES + 1, new Uint8Array(CHUNK_PAYLOAD_BYTES + 1)), PeerWireError);
});

test('chunk: decodes an ArrayBuffer and a Uint8Array view into a larger buffer alike', () => {
  const frame = encodeChunk(9, 2, 4, Uint8Array.from([0xaa, 0xbb]));
  const fromBuffer = decodeChunk(frame.slice().buffer);
  assert.deepEqual({ ...fromBuffer, payload: [...fromBuffer.payload] }, { req: 9, offset: 2, total: 4, payload: [0xaa, 0xbb] });
  const padded = new Uint8Array(frame.byteLength + 8);
  padded.set(frame, 5);
  const fromView = decodeChunk(padded.subarray(5, 5 + frame.byteLength));
  assert.deepEqual({ ...fromView, payload: [...fromView.payload] }, { req: 9, offset: 2, total: 4, payload: [0xaa, 0xbb] });
});

test('chunk: frames shorter than the header or longer than 16 KiB are refused', () => {
  assert.throws(() => decodeChunk(new Uint8Array(CHUNK_HEADER_BYTES - 1)), /length/);
  assert.throws(() => decodeChunk(new Uint8Array(MAX_FRAME_BYTES + 1)), /length/);
});

test('chunk: bytes that would land past the declared total, or totals past 64 MiB, are refused', () => {
  assert.throws(() => decodeChunk(encodeChunk(1, 8, 10, new Uint8Array(3))), /outside/);
  assert.throws(() => decodeChunk(encodeChunk(1, 11, 10, new Uint8Array(0))), /outside/);
  assert.throws(() => decodeChunk(encodeChunk(1, 0, 64 * 1024 * 1024 + 1, new Uint8Array(1))), /outside/);
  assert.equal(decodeChunk(encodeChunk(1, 7, 10, new Uint8Array(3))).offset, 7);
  assert.equal(decodeChunk(encodeChunk(1, 10, 10, new Uint8Array(0))).payload.byteLength, 0);
});
