import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PIECE_BYTES, MIN_PIECE_BYTES, pieceLengthFor } from '../../seeder/torrent/piece-length.js';

const KiB = 1024;
const MiB = 1024 * KiB;

test('the documented examples: 400 KB → 16 KiB, 20 MB → 32 KiB, 1 GB → 1 MiB', () => {
  assert.equal(pieceLengthFor(400_000), 16 * KiB);
  assert.equal(pieceLengthFor(20_000_000), 32 * KiB);
  assert.equal(pieceLengthFor(1_000_000_000), 1 * MiB);
});

test('bounds: empty and tiny files get the minimum, huge ones the maximum', () => {
  assert.equal(MIN_PIECE_BYTES, 16 * KiB);
  assert.equal(MAX_PIECE_BYTES, 1 * MiB);
  assert.equal(pieceLengthFor(0), MIN_PIECE_BYTES);
  assert.equal(pieceLengthFor(1), MIN_PIECE_BYTES);
  assert.equal(pieceLengthFor(100 * 1024 * MiB), MAX_PIECE_BYTES);
  assert.equal(pieceLengthFor(Number.MAX_SAFE_INTEGER), MAX_PIECE_BYTES);
});

test('steps up exactly when 1024 pieces no longer cover the file', () => {
  assert.equal(pieceLengthFor(16 * MiB), 16 * KiB);
  assert.equal(pieceLengthFor(16 * MiB + 1), 32 * KiB);
  assert.equal(pieceLengthFor(32 * MiB), 32 * KiB);
  assert.equal(pieceLengthFor(32 * MiB + 1), 64 * KiB);
  assert.equal(pieceLengthFor(1024 * MiB), 1 * MiB);
});

test('always a power of two in range, never decreasing with size, and at most 1024 pieces below 1 GiB', () => {
  let previous = 0;
  for (let size = 0; size <= 2048 * MiB; size += 7 * MiB + 12_345) {
    const piece = pieceLengthFor(size);
    assert.ok(piece >= MIN_PIECE_BYTES && piece <= MAX_PIECE_BYTES, `${size}`);
    assert.equal(piece & (piece - 1), 0, `${piece} is a power of two`);
    assert.ok(piece >= previous, `${size}`);
    if (size <= 1024 * MiB) assert.ok(Math.ceil(size / piece) <= 1024, `${size}: ${Math.ceil(size / piece)} pieces`);
    previous = piece;
  }
});
