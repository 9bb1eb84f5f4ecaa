import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestClient } from '../../client/images/manifest-client.js';

test('entries seeded from the page config resolve without a request; other URLs still ask the endpoint', async () => {
  const requested: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request) => {
    requested.push(String(input));
    return new Response(JSON.stringify({ assets: [{ url: 'x', id: 'BBBBBBBBBBBBBBBBBBBBBB', size: 3, sha256: 'd'.repeat(64) }] }), { headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  try {
    const manifest = new ManifestClient('/__p2p/manifest');
    manifest.seed([{ url: '/images/a.png', id: 'AAAAAAAAAAAAAAAAAAAAAA', sha256: 'c'.repeat(64), size: 10, type: 'image/png' }], 'http://site.test');
    const seeded = await manifest.lookup('http://site.test/images/a.png');
    assert.deepEqual(seeded, { url: 'http://site.test/images/a.png', id: 'AAAAAAAAAAAAAAAAAAAAAA', sha256: 'c'.repeat(64), size: 10, p2p: true, contentType: 'image/png' });
    assert.deepEqual(requested, []);
    const other = await manifest.lookup('http://site.test/images/b.png');
    assert.equal(other.id, 'BBBBBBBBBBBBBBBBBBBBBB');
    assert.equal(requested.length, 1);
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('a seeded entry is known to come from the page; refresh asks the manifest route again', async () => {
  const requested: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request) => {
    requested.push(String(input));
    return new Response(JSON.stringify({ assets: [{ url: 'x', id: 'AAAAAAAAAAAAAAAAAAAAAA', size: 10, sha256: 'e'.repeat(64) }] }), { headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  try {
    const manifest = new ManifestClient('/__p2p/manifest');
    manifest.seed([{ url: '/images/a.png', id: 'AAAAAAAAAAAAAAAAAAAAAA', sha256: 'c'.repeat(64), size: 10 }], 'http://site.test');
    assert.equal(manifest.fromPage('http://site.test/images/a.png'), true);
    assert.equal(manifest.fromPage('http://site.test/images/b.png'), false);
    const fresh = await manifest.refresh('http://site.test/images/a.png');
    assert.equal(fresh.sha256, 'e'.repeat(64), 'the route answers, not the page config');
    assert.equal(requested.length, 1);
    assert.equal(manifest.fromPage('http://site.test/images/a.png'), false);
  } finally {
    globalThis.fetch = realFetch;
  }
});
