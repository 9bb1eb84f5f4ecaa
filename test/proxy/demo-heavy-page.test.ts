import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { buildDemoSite, HEAVY_HERO, HEAVY_IMAGES, HEAVY_PAGE } from '../../proxy/demo/demo-site.js';
import { StaticOrigin } from '../../proxy/demo/static-origin.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes a PNG as far as a viewer must: signature, IHDR, the inflated IDAT of exactly (1 + 3w) × h bytes (truecolour, 8 bits). */
function decodePng(body: Buffer): { width: number; height: number } {
  assert.ok(body.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset < body.length) {
    const length = body.readUInt32BE(offset);
    const type = body.toString('ascii', offset + 4, offset + 8);
    const data = body.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      assert.equal(data[9], 2, 'colour type');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  assert.ok(ended, 'IEND present');
  assert.equal(offset, body.length, 'no bytes after the last chunk');
  assert.equal(inflateSync(Buffer.concat(idat)).length, (1 + 3 * width) * height, 'pixel data of the declared size');
  return { width, height };
}

test('the heavy page: a ~300 KB hero and 40 images, all decodable PNGs of the sizes the page declares, the same bytes on every build', () => {
  const site = buildDemoSite();
  const html = site.get(HEAVY_PAGE)?.body.toString('utf8');
  assert.ok(html, `${HEAVY_PAGE} exists`);
  const tags = [...html.matchAll(/<img src="([^"]+)"[^>]* width="(\d+)" height="(\d+)"/g)];
  assert.equal(tags.length, 41);
  assert.deepEqual(tags.map((m) => m[1]), [HEAVY_HERO.path, ...HEAVY_IMAGES.map((image) => image.path)]);
  let bytes = 0;
  for (const [, path, width, height] of tags) {
    const file = site.get(path!);
    assert.ok(file, `${path} served`);
    assert.equal(file.contentType, 'image/png');
    assert.deepEqual(decodePng(file.body), { width: Number(width), height: Number(height) }, path);
    bytes += file.body.length;
  }
  const hero = site.get(HEAVY_HERO.path)!.body.length;
  assert.ok(hero > 250_000 && hero < 350_000, `hero ${hero} bytes`);
  for (const image of HEAVY_IMAGES) {
    const size = site.get(image.path)!.body.length;
    assert.ok(size > 20_000 && size < 200_000, `${image.path}: ${size} bytes`);
  }
  assert.ok(bytes > 2_000_000, `page images ${bytes} bytes`);
  // Deterministic: the same bytes on every machine (asset ids and manifests depend on it).
  const sha256 = (path: string): string => createHash('sha256').update(site.get(path)!.body).digest('hex');
  assert.equal(sha256(HEAVY_HERO.path), '4b456329236899c022f61dafdb9ade062ed2355ddd0ed713ba78d23e266baf89');
  assert.equal(sha256(HEAVY_IMAGES[0]!.path), '9fd7f773057df1642d29cd922232b78f675f331ff46440affb778bd863cca9a8');
  // The demo's other pages do not link or show it.
  for (const page of ['/index.html', '/video.html', '/about.html']) assert.ok(!site.get(page)!.body.toString('utf8').includes('/images/heavy/'), page);
});

test('the heavy page and its images over HTTP from the demo origin, with their types and lengths', async () => {
  const site = buildDemoSite();
  const origin = new StaticOrigin(site);
  const base = await origin.listen(0, '127.0.0.1');
  try {
    const page = await fetch(new URL(HEAVY_PAGE, base), { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await page.text(), /Catalogue/);
    for (const path of [HEAVY_HERO.path, HEAVY_IMAGES[0]!.path, HEAVY_IMAGES[39]!.path]) {
      const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'image/png', path);
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok(body.equals(site.get(path)!.body), `${path} bytes as built`);
      decodePng(body);
    }
  } finally {
    await origin.close();
  }
});
