import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import { MAX_MANIFEST_URLS } from '../../protocol/manifest.js';
import { assetIdFor } from '../../core/asset-id.js';
import { CountingOrigin, pseudoRandomBytes, sha256 } from './counting-origin.js';
import { startSeederHarness, type SeederHarness } from './seeder-harness.js';

const PNG = pseudoRandomBytes(150_000, 7);
const BIG_PNG = pseudoRandomBytes(300_000, 8);

/** Error answers add the catalog code beside `assets`. */
type ManifestAnswer = ManifestResponse & { error?: string };

async function manifest(h: SeederHarness, ...urls: string[]): Promise<{ status: number; code: unknown; body: ManifestAnswer }> {
  const query = urls.map((u) => `u=${encodeURIComponent(u)}`).join('&');
  const res = await request(new URL(`/__p2p/manifest?${query}`, h.proxyUrl));
  return { status: res.statusCode, code: res.headers['x-peerconnect-error'], body: (await res.body.json()) as ManifestAnswer };
}

describe('seeder media index through /__p2p/manifest', () => {
  let h: SeederHarness;
  let other: CountingOrigin;

  before(async () => {
    other = new CountingOrigin();
    await other.listen();
    other.add('/secret.png', PNG, 'image/png');
    const origin = new CountingOrigin();
    await origin.listen();
    origin
      .add('/img/photo.png', PNG, 'image/png')
      .add('/img/big.png', BIG_PNG, 'image/png')
      .add('/img/changing.png', Buffer.from('version one'), 'image/png')
      .add('/page.html', Buffer.from('<p>hi</p>'), 'text/html')
      .redirect('/moved.png', '/img/photo.png')
      .redirect('/away.png', `${other.url.origin}/secret.png`)
      .redirect('/loop.png', '/loop.png');
    h = await startSeederHarness({ origin, freshMs: 50, overrides: { imageMaxBytes: 200_000 } });
  });

  after(async () => {
    await h.close();
    await h.origin.close();
    await other.close();
  });

  test('hash, size, type and id match the file', async () => {
    const { status, body } = await manifest(h, '/img/photo.png');
    assert.equal(status, 200);
    const [entry] = body.assets;
    assert.ok(entry);
    assert.equal(entry.sha256, sha256(PNG));
    assert.equal(entry.size, PNG.length);
    assert.equal(entry.contentType, 'image/png');
    assert.equal(entry.p2p, true);
    assert.equal(entry.id, assetIdFor(new URL('/img/photo.png', h.proxyUrl)));
    assert.equal(entry.error, undefined);
  });

  test('50 concurrent manifest requests for a new URL cause one origin fetch', async () => {
    h.origin.add('/img/concurrent.png', pseudoRandomBytes(80_000, 3), 'image/png');
    h.origin.delayMs = 100;
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => manifest(h, `${h.proxyUrl.origin}/img/concurrent.png`)));
      assert.ok(answers.every((a) => a.status === 200 && a.body.assets[0]?.sha256 === answers[0]!.body.assets[0]?.sha256));
      assert.equal(h.origin.hitsOf('/img/concurrent.png'), 1);
    } finally {
      h.origin.delayMs = 0;
    }
  });

  test('several URLs in one request answer in order, each with its own outcome', async () => {
    const { status, body } = await manifest(h, '/img/photo.png', '/missing.png', 'http://evil.example/x.png');
    assert.equal(status, 200);
    assert.deepEqual(body.assets.map((a) => a.error ?? 'ok'), ['ok', 'not-found', 'forbidden']);
    assert.deepEqual(body.assets.map((a) => a.url), ['/img/photo.png', '/missing.png', 'http://evil.example/x.png']);
  });

  test('cross-origin, file:, data:, userinfo and other-port URLs are refused without contacting them', async () => {
    const refused = [
      `${other.url.origin}/secret.png`,
      'http://evil.example/x.png',
      'file:///etc/passwd',
      'data:image/png;base64,AAAA',
      `http://user:pw@${h.proxyUrl.host}/img/photo.png`,
      `http://localhost:${other.url.port}/secret.png`,
      `http://127.0.0.1:${other.url.port}/secret.png`,
    ];
    for (const url of refused) {
      const { status, code, body } = await manifest(h, url);
      assert.equal(status, 403, url);
      assert.equal(code, 'PC_ERR_FORBIDDEN_URL', url);
      assert.equal(body.error, 'PC_ERR_FORBIDDEN_URL', url);
      assert.equal(body.assets[0]?.error, 'forbidden', url);
    }
    assert.equal(other.hitsOf('/secret.png'), 0);
  });

  test('same-origin redirects are followed, redirects elsewhere are refused and not followed', async () => {
    const moved = await manifest(h, '/moved.png');
    assert.equal(moved.status, 200);
    assert.equal(moved.body.assets[0]?.sha256, sha256(PNG));
    const away = await manifest(h, '/away.png');
    assert.equal(away.status, 403);
    assert.equal(away.body.error, 'PC_ERR_FORBIDDEN_URL');
    assert.equal(away.body.assets[0]?.error, 'forbidden');
    assert.equal(other.hitsOf('/secret.png'), 0);
  });

  test('origin 404 gives a manifest 404', async () => {
    const { status, code, body } = await manifest(h, '/nope.png');
    assert.equal(status, 404);
    assert.equal(code, 'PC_ERR_NOT_FOUND');
    assert.equal(body.error, 'PC_ERR_NOT_FOUND');
    assert.equal(body.assets[0]?.error, 'not-found');
  });

  test('an origin that cannot provide the file (redirect loop) gives 502 PC_ERR_ORIGIN_FAILED', async () => {
    const { status, code, body } = await manifest(h, '/loop.png');
    assert.equal(status, 502);
    assert.equal(code, 'PC_ERR_ORIGIN_FAILED');
    assert.equal(body.assets[0]?.error, 'origin-error');
  });

  test('bad requests: no u, too many u', async () => {
    const none = await request(new URL('/__p2p/manifest', h.proxyUrl));
    assert.equal(none.statusCode, 400);
    assert.deepEqual(await none.body.json(), { assets: [], error: 'PC_ERR_BAD_REQUEST', message: `expected 1-${MAX_MANIFEST_URLS} u parameters` });
    const many = await manifest(h, ...Array.from({ length: MAX_MANIFEST_URLS + 1 }, (_, i) => `/img/${i}.png`));
    assert.equal(many.status, 400);
    assert.equal(many.code, 'PC_ERR_BAD_REQUEST');
  });

  test('images over imageMaxBytes are indexed as p2p:false', async () => {
    const { status, body } = await manifest(h, '/img/big.png');
    assert.equal(status, 200);
    assert.equal(body.assets[0]?.p2p, false);
    assert.equal(body.assets[0]?.sha256, undefined);
  });

  test('non-media responses are not offered p2p', async () => {
    const { body } = await manifest(h, '/page.html');
    assert.equal(body.assets[0]?.p2p, false);
  });

  test('revalidation: unchanged → conditional 304, changed file → new hash', async () => {
    const first = await manifest(h, '/img/changing.png');
    assert.equal(first.body.assets[0]?.sha256, sha256(Buffer.from('version one')));
    await new Promise((resolve) => setTimeout(resolve, 80));
    const same = await manifest(h, '/img/changing.png');
    assert.equal(same.body.assets[0]?.sha256, sha256(Buffer.from('version one')));
    assert.equal(h.origin.conditionalHits.get('/img/changing.png'), 1);
    h.origin.add('/img/changing.png', Buffer.from('version two!'), 'image/png');
    await new Promise((resolve) => setTimeout(resolve, 80));
    const changed = await manifest(h, '/img/changing.png');
    assert.equal(changed.body.assets[0]?.sha256, sha256(Buffer.from('version two!')));
    assert.equal(changed.body.assets[0]?.size, 'version two!'.length);
  });
});
