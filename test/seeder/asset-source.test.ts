import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assetIdFor } from '../../core/asset-id.js';
import { ByteCache } from '../../seeder/cache/byte-cache.js';
import { MediaIndex } from '../../seeder/index/media-index.js';
import { UrlScope } from '../../seeder/index/url-scope.js';
import { AssetSource } from '../../seeder/peer/asset-source.js';
import { CountingOrigin, pseudoRandomBytes, sha256 } from './counting-origin.js';

const PHOTO = pseudoRandomBytes(50_000, 3);
const BIG = pseudoRandomBytes(120_000, 4);
const PUBLIC = 'http://www.site.test';

let origin: CountingOrigin;
let other: CountingOrigin;
let cache: ByteCache;
let index: MediaIndex;
let source: AssetSource;

before(async () => {
  origin = new CountingOrigin();
  await origin.listen();
  origin
    .add('/img/photo.png', PHOTO, 'image/png')
    .add('/img/big.png', BIG, 'image/png')
    .add('/page.html', Buffer.from('<p>hi</p>'), 'text/html');
  other = new CountingOrigin();
  await other.listen();
  other.add('/img/photo.png', PHOTO, 'image/png');
  cache = new ByteCache({ maxBytes: 10_000_000 });
  index = new MediaIndex({ scope: new UrlScope(origin.url, ['www.site.test']), cache, imageMaxBytes: 100_000, mediaTypes: ['image', 'video', 'audio'] });
  source = new AssetSource(index);
});

after(async () => {
  index.close();
  await cache.close();
  await origin.close();
  await other.close();
});

const bytesOf = (result: Awaited<ReturnType<AssetSource['open']>>): Buffer => {
  assert.ok('body' in result, `expected a body, got ${JSON.stringify(result)}`);
  assert.equal(result.body.kind, 'memory');
  return (result.body as { data: Buffer }).data;
};

test('an asset on this site whose id matches its URL opens with its bytes and SHA-256', async () => {
  const url = `${PUBLIC}/img/photo.png`;
  const result = await source.open(assetIdFor(url), url);
  assert.deepEqual(bytesOf(result), PHOTO);
  assert.equal((result as { sha256: string }).sha256, sha256(PHOTO));
});

test('the id of the origin URL is accepted as well as the public one', async () => {
  const url = new URL('/img/photo.png', origin.url).href;
  assert.deepEqual(bytesOf(await source.open(assetIdFor(url), url)), PHOTO);
});

test('an id that does not match the URL is declined as bad-request without fetching', async () => {
  const before = origin.hitsOf('/img/big.png');
  const result = await source.open(assetIdFor(`${PUBLIC}/img/photo.png`), `${PUBLIC}/img/big.png`);
  assert.deepEqual(result, { decline: 'bad-request' });
  assert.equal(origin.hitsOf('/img/big.png'), before);
});

test('URLs on other hosts, other schemes or unparseable are declined as bad-request, nothing fetched', async () => {
  const elsewhere = new URL('/img/photo.png', other.url).href;
  for (const url of [elsewhere, 'http://evil.example/img/photo.png', 'javascript:alert(1)', 'http://[bad', '']) {
    assert.deepEqual(await source.open(assetIdFor(elsewhere), url), { decline: 'bad-request' }, url);
  }
  assert.equal(other.hitsOf('/img/photo.png'), 0);
});

test('what the index does not offer P2P is declined: missing or not media as not-held, oversize as too-large', async () => {
  for (const [path, reason] of [['/img/missing.png', 'not-held'], ['/page.html', 'not-held'], ['/img/big.png', 'too-large']] as const) {
    const url = `${PUBLIC}${path}`;
    assert.deepEqual(await source.open(assetIdFor(url), url), { decline: reason }, path);
  }
});
