import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEDIA_KINDS } from '../../protocol/media.js';
import { DEFAULT_FOLD_COUNT, normalizeLabel, resolveInjectorOptions, type InjectorOptions } from '../../injector/options.js';

const BASE: InjectorOptions = {
  pageUrl: 'https://Site.test:8443/page.html',
  assetId: (url) => url,
  scriptSrc: '/__p2p/client.js',
  clientConfig: { v: 1, prefix: '/__p2p', peerTimeoutMs: 3000, iceServers: [], mediaTypes: ['image'] },
};

test('defaults: all media kinds, gif excluded, no fold, fold count 4, everything over HTTP, enabled', () => {
  const resolved = resolveInjectorOptions(BASE);
  assert.deepEqual([...resolved.mediaTypes], [...MEDIA_KINDS]);
  assert.deepEqual([...resolved.excludeFormats], ['gif']);
  assert.equal(resolved.foldLoading, false);
  assert.equal(resolved.foldCount, DEFAULT_FOLD_COUNT);
  assert.equal(resolved.foldCount, 4);
  assert.equal(resolved.policy({ id: 'x', url: 'https://site.test/a.png', kind: 'image' }), 'http');
  assert.equal(resolved.disabled, false);
  assert.equal(resolved.nonce, undefined);
  assert.equal(resolved.charset, undefined);
});

test('the page host (with its port) is always same-origin; listed hosts are added, lower-cased', () => {
  const resolved = resolveInjectorOptions({ ...BASE, sameOriginHosts: ['CDN.Site.test', 'img.site.test:81'] });
  assert.deepEqual([...resolved.sameOriginHosts].sort(), ['cdn.site.test', 'img.site.test:81', 'site.test:8443']);
});

test('falsy values given explicitly are kept, not replaced by defaults', () => {
  const resolved = resolveInjectorOptions({ ...BASE, foldCount: 0, mediaTypes: [], excludeFormats: [] });
  assert.equal(resolved.foldCount, 0);
  assert.equal(resolved.mediaTypes.size, 0);
  assert.equal(resolved.excludeFormats.size, 0);
});

test('excluded formats are compared in lower case', () => {
  assert.deepEqual([...resolveInjectorOptions({ ...BASE, excludeFormats: ['GIF', 'Svg'] }).excludeFormats], ['gif', 'svg']);
});

test('the result is frozen', () => {
  const resolved = resolveInjectorOptions(BASE);
  assert.ok(Object.isFrozen(resolved));
  assert.throws(() => { (resolved as { foldCount: number }).foldCount = 9; }, TypeError);
});

test('a relative or malformed pageUrl is refused with the value in the message', () => {
  assert.throws(() => resolveInjectorOptions({ ...BASE, pageUrl: '/page.html' }), { name: 'TypeError', message: /pageUrl.*"\/page\.html"/ });
  assert.throws(() => resolveInjectorOptions({ ...BASE, pageUrl: 'http://[bad' }), TypeError);
});

test('foldCount must be a non-negative integer', () => {
  for (const foldCount of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => resolveInjectorOptions({ ...BASE, foldCount }), /foldCount/, String(foldCount));
  }
});

test('nonce must be 1–256 base64 characters (standard or URL-safe)', () => {
  for (const nonce of ['abc', 'aGVsbG8=', 'a+b/c_d-e', 'x'.repeat(256)]) {
    assert.equal(resolveInjectorOptions({ ...BASE, nonce }).nonce, nonce);
  }
  for (const nonce of ['', 'x'.repeat(257), 'a"b', 'a b', '"><script>', "a'b"]) {
    assert.throws(() => resolveInjectorOptions({ ...BASE, nonce }), /nonce/, nonce);
  }
});

test('charset labels: trimmed, lower-cased, unquoted; empty counts as absent', () => {
  assert.equal(resolveInjectorOptions({ ...BASE, charset: ' UTF-8 ' }).charset, 'utf-8');
  assert.equal(normalizeLabel('"Shift_JIS"'), 'shift_jis');
  assert.equal(normalizeLabel("'utf-8'"), 'utf-8');
  assert.equal(normalizeLabel(''), undefined);
  assert.equal(normalizeLabel('   '), undefined);
  assert.equal(normalizeLabel('""'), undefined);
  assert.equal(normalizeLabel(undefined), undefined);
});
