import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SRCSET_MAX_CANDIDATES, srcsetUrls } from '../../injector/srcset.js';

test('srcset: URLs with descriptors', () => {
  assert.deepEqual(srcsetUrls('/a.png 1x, /b.png 2x'), ['/a.png', '/b.png']);
  assert.deepEqual(srcsetUrls('/a.png 480w,/b.png 960w'), ['/a.png', '/b.png']);
  assert.deepEqual(srcsetUrls('  /only.png  '), ['/only.png']);
});

test('srcset: commas inside URLs belong to the URL; trailing commas end it', () => {
  assert.deepEqual(srcsetUrls('/a,b.png 1x, /c,d.png 2x'), ['/a,b.png', '/c,d.png']);
  assert.deepEqual(srcsetUrls('/a.png,/b.png'), ['/a.png,/b.png'], 'no whitespace: one URL containing a comma');
  assert.deepEqual(srcsetUrls('/a.png, /b.png,, /c.png'), ['/a.png', '/b.png', '/c.png']);
});

test('srcset: commas inside descriptor parentheses do not split', () => {
  assert.deepEqual(srcsetUrls('/a.png f(1,2) , /b.png'), ['/a.png', '/b.png']);
});

test('srcset: empty and degenerate values', () => {
  assert.deepEqual(srcsetUrls(''), []);
  assert.deepEqual(srcsetUrls(' , ,, '), []);
});

test('srcset: stops counting past the bound', () => {
  const many = Array.from({ length: 500 }, (_, i) => `/${i}.png ${i + 1}w`).join(', ');
  assert.equal(srcsetUrls(many).length, SRCSET_MAX_CANDIDATES + 1);
});
