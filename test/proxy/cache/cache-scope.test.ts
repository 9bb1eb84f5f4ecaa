import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheScope } from '../../../proxy/cache/cache-scope.js';

test('media: the configured kinds by extension, any case; never HTML, scripts or extensionless paths', () => {
  const scope = new CacheScope('media', ['image', 'video', 'audio']);
  assert.equal(scope.enabled, true);
  for (const path of ['/a.png', '/b/C.JPG', '/v.webm', '/s.mp3', '/x.y/z.avif']) assert.equal(scope.coversPath(path), true, path);
  for (const path of ['/', '/page.html', '/app.js', '/style.css', '/img.png/', '/dir.png/file', '/noext']) assert.equal(scope.coversPath(path), false, path);
});

test('media follows mediaTypes: without video, .mp4 is not covered', () => {
  const scope = new CacheScope('media', ['image']);
  assert.equal(scope.coversPath('/a.png'), true);
  assert.equal(scope.coversPath('/a.mp4'), false);
  assert.equal(scope.coversType('video/mp4'), false);
  assert.equal(scope.coversType('image/png'), true);
});

test('static adds CSS, JS and fonts, by path and by type', () => {
  const scope = new CacheScope('static', ['image']);
  for (const path of ['/app.js', '/m.mjs', '/s.css', '/f.woff2']) assert.equal(scope.coversPath(path), true, path);
  for (const type of ['text/css', 'text/javascript; charset=utf-8', 'application/javascript', 'font/woff2']) assert.equal(scope.coversType(type), true, type);
  assert.equal(scope.coversType('text/html'), false);
});

test('off covers nothing', () => {
  const scope = new CacheScope('off', ['image', 'video', 'audio']);
  assert.equal(scope.enabled, false);
  assert.equal(scope.coversPath('/a.png'), false);
});

test('types: a missing or HTML Content-Type is never stored', () => {
  const scope = new CacheScope('media', ['image', 'video', 'audio']);
  assert.equal(scope.coversType(undefined), false);
  assert.equal(scope.coversType('text/html; charset=utf-8'), false);
  assert.equal(scope.coversType('IMAGE/PNG'), true);
});
