import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CONFIG_ASSETS, MAX_IMAGE_DIMENSION } from '../../../protocol/client-config.js';
import { MAX_REMEMBERED_PAGES, PageAssets, type DescribeAsset } from '../../../proxy/html/page-assets.js';

const SHA = 'b'.repeat(64);
const indexed: DescribeAsset = (id) => (id.startsWith('no-') ? undefined : {
  sha256: SHA, size: id.length, contentType: id.startsWith('v-') ? 'video/webm' : 'image/png', p2p: !id.startsWith('off-'),
});

test('a page config carries the indexed images its previous rewrite tagged, in document order, as same-origin paths (not video: it needs the manifest\'s infohash)', () => {
  const pages = new PageAssets();
  assert.deepEqual(pages.known('/', indexed), [], 'first rewrite: nothing known yet');
  pages.record('/', 'a1', 'http://site.test/images/a.png?v=2');
  pages.record('/', 'no-index', 'http://site.test/images/b.png');
  pages.record('/', 'off-p2p', 'http://site.test/images/c.png');
  pages.record('/', 'a1', 'http://site.test/images/a.png?v=2');
  pages.record('/', 'd4', 'http://site.test/images/d.png');
  pages.record('/', 'v-clip', 'http://site.test/media/clip.webm');
  pages.record('/other', 'e5', 'http://site.test/images/e.png');
  assert.deepEqual(pages.known('/', indexed), [
    { url: '/images/a.png?v=2', id: 'a1', sha256: SHA, size: 2, type: 'image/png' },
    { url: '/images/d.png', id: 'd4', sha256: SHA, size: 2, type: 'image/png' },
  ]);
  assert.deepEqual(pages.known('/other', indexed).map((a) => a.id), ['e5']);
});

test('entries per page and pages remembered are bounded', () => {
  const pages = new PageAssets();
  for (let i = 0; i < MAX_CONFIG_ASSETS * 3; i++) pages.record('/big', `x${i}`, `http://site.test/${i}.png`);
  assert.equal(pages.known('/big', indexed).length, MAX_CONFIG_ASSETS);
  for (let i = 0; i < MAX_REMEMBERED_PAGES; i++) pages.record(`/p${i}`, 'y', 'http://site.test/y.png');
  assert.deepEqual(pages.known('/big', indexed), [], 'the oldest page was forgotten');
  assert.equal(pages.known(`/p${MAX_REMEMBERED_PAGES - 1}`, indexed).length, 1);
});

test('each rewrite records the page anew: an asset the page no longer shows leaves its next config', () => {
  const pages = new PageAssets();
  pages.record('/news', 'old1', 'http://site.test/images/old.png');
  assert.deepEqual(pages.known('/news', indexed).map((a) => a.id), ['old1']);
  // This rewrite of /news tags only the new image.
  pages.record('/news', 'new2', 'http://site.test/images/new.png');
  assert.deepEqual(pages.known('/news', indexed).map((a) => a.id), ['new2']);
});

test('an image\'s intrinsic width and height go into its entry when the index read them and they are in bounds', () => {
  const sized: DescribeAsset = (id) => ({
    sha256: SHA, size: 10, contentType: 'image/png', p2p: true,
    ...(id === 'w1' ? { width: 640, height: 360 } : id === 'w2' ? { width: MAX_IMAGE_DIMENSION + 1, height: 10 } : id === 'w3' ? { width: 640 } : {}),
  });
  const pages = new PageAssets();
  for (const id of ['w1', 'w2', 'w3', 'w4']) pages.record('/', id, `http://site.test/${id}.png`);
  assert.deepEqual(pages.known('/', sized).map(({ id, width, height }) => ({ id, width, height })), [
    { id: 'w1', width: 640, height: 360 },
    { id: 'w2', width: undefined, height: undefined },
    { id: 'w3', width: undefined, height: undefined },
    { id: 'w4', width: undefined, height: undefined },
  ]);
});
