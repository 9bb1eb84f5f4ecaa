import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePng, TINY_GIF } from '../../proxy/demo/png.js';
import { MAX_IMAGE_DIMENSION } from '../../protocol/client-config.js';
import { IMAGE_HEAD_BYTES, imageDimensions } from '../../seeder/index/image-dimensions.js';

/** A PNG signature and IHDR declaring `width` × `height` (the rest of the file is not needed to read them). */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from([0, 0, 0, 13]), Buffer.from('IHDR'), ihdr, Buffer.alloc(4)]);
}

/** A baseline JPEG frame header (SOF0) of `width` × `height`, after an EXIF block with `orientation`. */
function jpeg(width: number, height: number, orientation: number): Buffer {
  // TIFF header (big-endian), one IFD entry: Orientation (0x0112), SHORT, count 1.
  const tiff = Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0]);
  const exif = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), u16(exif.length + 2), exif]);
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof, Buffer.from([0xff, 0xd9])]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

test('the dimensions an image declares: PNG and GIF from their first bytes, a whole demo PNG', () => {
  assert.deepEqual(imageDimensions(makePng(320, 200, 1, 0.1)), { width: 320, height: 200 });
  assert.deepEqual(imageDimensions(pngHeader(640, 360)), { width: 640, height: 360 });
  assert.deepEqual(imageDimensions(TINY_GIF), { width: 2, height: 2 });
  assert.ok(IMAGE_HEAD_BYTES >= 64 * 1024);
});

test('a JPEG turned a quarter by its EXIF orientation is laid out with width and height swapped', () => {
  assert.deepEqual(imageDimensions(jpeg(400, 300, 1)), { width: 400, height: 300 });
  assert.deepEqual(imageDimensions(jpeg(400, 300, 6)), { width: 300, height: 400 });
});

test('unknown, cut-short or out-of-bounds images have no dimensions', () => {
  assert.equal(imageDimensions(Buffer.from('not an image at all, just text')), undefined);
  assert.equal(imageDimensions(Buffer.alloc(0)), undefined);
  assert.equal(imageDimensions(pngHeader(640, 360).subarray(0, 20)), undefined);
  assert.equal(imageDimensions(pngHeader(MAX_IMAGE_DIMENSION + 1, 10)), undefined);
  assert.equal(imageDimensions(pngHeader(0, 10)), undefined);
});
