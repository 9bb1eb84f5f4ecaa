import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RANGES, parseRange } from '../../../core/http/range.js';

test('no header or another unit is ignored (full body)', () => {
  assert.deepEqual(parseRange(undefined, 100), { type: 'ignore' });
  assert.deepEqual(parseRange('items=0-1', 100), { type: 'ignore' });
});

test('single ranges: closed, open-ended, suffix, clamped to the size', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { type: 'ranges', ranges: [{ start: 0, end: 9 }] });
  assert.deepEqual(parseRange('bytes=90-', 100), { type: 'ranges', ranges: [{ start: 90, end: 99 }] });
  assert.deepEqual(parseRange('bytes=-10', 100), { type: 'ranges', ranges: [{ start: 90, end: 99 }] });
  assert.deepEqual(parseRange('bytes=-1000', 100), { type: 'ranges', ranges: [{ start: 0, end: 99 }] });
  assert.deepEqual(parseRange('bytes=50-1000', 100), { type: 'ranges', ranges: [{ start: 50, end: 99 }] });
});

test('bad syntax is ignored, as RFC 9110 allows', () => {
  for (const header of ['bytes=', 'bytes=a-b', 'bytes=5-1', 'bytes=-', 'bytes=1-2-3', 'bytes=1.5-2']) {
    assert.deepEqual(parseRange(header, 100), { type: 'ignore' }, header);
  }
});

test('ranges starting at or past the end are unsatisfiable (416)', () => {
  assert.deepEqual(parseRange('bytes=100-', 100), { type: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=100-200,300-400', 100), { type: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=-0', 100), { type: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-0', 0), { type: 'unsatisfiable' });
});

test('multiple ranges: unsatisfiable parts dropped, overlapping ones merged', () => {
  assert.deepEqual(parseRange('bytes=0-9, 20-29, 500-600', 100), {
    type: 'ranges', ranges: [{ start: 0, end: 9 }, { start: 20, end: 29 }],
  });
  assert.deepEqual(parseRange('bytes=0-9,5-19,20-24', 100), { type: 'ranges', ranges: [{ start: 0, end: 24 }] });
});

test(`more than ${MAX_RANGES} ranges are ignored`, () => {
  const header = 'bytes=' + Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 2}-${i * 2}`).join(',');
  assert.deepEqual(parseRange(header, 1000), { type: 'ignore' });
});
