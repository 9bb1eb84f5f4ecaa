import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { brotliCompressSync, constants, deflateRawSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { accepts, createDecoder, createEncoder, parseContentEncoding } from '../../proxy/html/content-coding.js';

test('content-coding: parses single codings, declines stacked and unknown ones', () => {
  assert.equal(parseContentEncoding(undefined), 'identity');
  assert.equal(parseContentEncoding('identity'), 'identity');
  assert.equal(parseContentEncoding('GZIP'), 'gzip');
  assert.equal(parseContentEncoding('x-gzip'), 'gzip');
  assert.equal(parseContentEncoding('br'), 'br');
  assert.equal(parseContentEncoding('deflate'), 'deflate');
  assert.equal(parseContentEncoding('zstd'), undefined);
  assert.equal(parseContentEncoding('gzip, br'), undefined);
});

test('content-coding: Accept-Encoding with q-values and *', () => {
  assert.equal(accepts('gzip, br', 'br'), true);
  assert.equal(accepts('gzip;q=0, br', 'gzip'), false);
  assert.equal(accepts('*', 'br'), true);
  assert.equal(accepts('*;q=0', 'gzip'), false);
  assert.equal(accepts('br;q=0, *', 'br'), false);
  assert.equal(accepts(undefined, 'gzip'), false);
  assert.equal(accepts(undefined, 'identity'), true);
  assert.equal(accepts('x-gzip', 'gzip'), true);
});

const TEXT = Buffer.from('<p>hello</p>'.repeat(5000));

test('content-coding: decoders undo every supported coding', async () => {
  const cases: [Parameters<typeof createDecoder>[0], Buffer][] = [
    ['gzip', gzipSync(TEXT)], ['br', brotliCompressSync(TEXT)], ['deflate', deflateSync(TEXT)], ['deflate', deflateRawSync(TEXT)],
  ];
  for (const [coding, encoded] of cases) {
    const chunks = Array.from({ length: Math.ceil(encoded.length / 100) }, (_, i) => encoded.subarray(i * 100, i * 100 + 100));
    const decoded = await buffer(Readable.from(chunks).pipe(createDecoder(coding)));
    assert.ok(decoded.equals(TEXT), coding);
  }
});

test('content-coding: the encoder flushes each chunk (output before the input ends)', async () => {
  const encoder = createEncoder('gzip');
  const out: Buffer[] = [];
  encoder.on('data', (c: Buffer) => out.push(c));
  await new Promise<void>((resolve, reject) => encoder.write(TEXT.subarray(0, 1000), (err) => (err ? reject(err) : resolve())));
  await new Promise((resolve) => setImmediate(resolve));
  const partial = gunzipSync(Buffer.concat(out), { finishFlush: constants.Z_SYNC_FLUSH });
  assert.ok(partial.equals(TEXT.subarray(0, 1000)), 'the first chunk is decodable before end()');
  const ended = new Promise((resolve) => encoder.once('end', resolve));
  encoder.end(TEXT.subarray(1000));
  await ended;
  assert.ok(gunzipSync(Buffer.concat(out)).equals(TEXT));
});
