import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import { createInjector, HtmlInjectorEngine, type AssetRef } from '../../injector/index.js';
import type { EngineFactory, RewriteEngine } from '../../injector/create-injector.js';
import { assetIdFor } from '../../core/asset-id.js';
import { injectorOptions, runInjector, TEST_PAGE_URL } from './injector-harness.js';

const html = (s: string): Buffer => Buffer.from(s);

test('injector: ids are assetIdFor of the URL the browser resolves, whatever the spelling', async () => {
  const input = html('<head></head><img src="/dir/a.png"><img src="a.png"><img src="http://site.test/dir/a.png#x"><img src="../dir/./a.png">');
  const { output } = await runInjector(input, injectorOptions());
  const ids = [...output.toString().matchAll(/data-p2p="([^".]+)\.image\.(?:http|peer)"/g)].map((m) => m[1]);
  assert.deepEqual(ids, Array(4).fill(assetIdFor('http://site.test/dir/a.png')));
});

test('injector: the policy sees id, absolute URL and kind; errors in it mean http', async () => {
  const seen: AssetRef[] = [];
  const options = { ...injectorOptions(), policy: (asset: AssetRef) => {
    seen.push(asset);
    if (asset.url.endsWith('boom.png')) throw new Error('policy failed');
    return 'peer' as const;
  } };
  const { output, stream } = await runInjector(html('<img src="ok.png"><img src="boom.png"><video src="/v.webm"></video><audio><source src="t.ogg"></audio>'), options);
  assert.deepEqual(seen.map((a) => [a.url, a.kind]), [
    ['http://site.test/dir/ok.png', 'image'], ['http://site.test/dir/boom.png', 'image'],
    ['http://site.test/v.webm', 'video'], ['http://site.test/dir/t.ogg', 'audio'],
  ]);
  assert.equal(seen[0]?.id, assetIdFor('http://site.test/dir/ok.png'));
  const text = output.toString();
  assert.match(text, /<img src="boom.png" data-p2p="[^"]+\.image\.http">/);
  assert.match(text, /data-p2p="[^"]+\.image\.peer" data-p2p-src="ok.png"/);
  assert.deepEqual({ ...stream.stats }, { tagged: 4, peer: 3, injected: true, errors: 1 });
});

test('injector: windows-1252 bytes outside and inside rewritten tags survive', async () => {
  const input = Buffer.from('<p>\x93caf\xe9\x94</p><img alt="na\xefve \x80" src="/a.png" title=\'\xe9\'>', 'latin1');
  const { output } = await runInjector(input, injectorOptions({ policy: 'peer', charset: 'windows-1252' }));
  const text = output.toString('latin1');
  assert.ok(text.includes('<p>\x93caf\xe9\x94</p>'));
  assert.ok(text.includes('alt="na\xefve \x80"'), 'untouched attribute bytes are kept');
  assert.ok(text.includes("title='\xe9'"));
  assert.ok(text.includes('data-p2p-src="/a.png"'));
});

test('injector: output starts before the input ends', async () => {
  const stream = createInjector(injectorOptions());
  const source = new PassThrough();
  source.pipe(stream);
  const first = new Promise<Buffer>((resolve) => stream.once('data', resolve));
  source.write('<!doctype html><html><head><meta charset="utf-8"><title>x</title></head><body>');
  source.write('<p>' + 'text '.repeat(20_000) + '</p>');
  const chunk = await first;
  assert.ok(chunk.toString().startsWith('<!doctype html>'));
  assert.ok(!stream.writableEnded, 'first output arrived while input was still open');
  stream.resume();
  const ended = new Promise((resolve) => stream.once('end', resolve));
  source.end('</body></html>');
  await ended;
});

test('injector: disabled mode runs every handler but changes nothing', async () => {
  const input = html('<html><head><meta charset=utf-8></head><body><img src="/a.png"><picture><source srcset="/b.png"><img src="/b.png"></picture></body></html>');
  let asked = 0;
  const { output, stream } = await runInjector(input, { ...injectorOptions(), disabled: true, policy: () => { asked++; return 'peer'; } });
  assert.ok(output.equals(input));
  assert.equal(asked, 2, 'policy consulted (picture shares one decision)');
  assert.equal(stream.stats.tagged, 3);
});

test('injector: invalid options are refused up front', () => {
  assert.throws(() => createInjector({ ...injectorOptions(), pageUrl: 'relative/page' }), /pageUrl/);
  assert.throws(() => createInjector({ ...injectorOptions(), foldCount: -1 }), /foldCount/);
  assert.throws(() => createInjector({ ...injectorOptions(), nonce: '"><script>' }), /nonce/);
});

/** The real engine, made to fail on its Nth write: a stand-in for any lol-html failure. */
function failingOnWrite(n: number): EngineFactory {
  return (options, sink, bomUtf8) => {
    const engine = new HtmlInjectorEngine(options, sink, bomUtf8);
    let writes = 0;
    const wrapped: RewriteEngine = {
      stats: engine.stats,
      write: (chunk) => (++writes === n ? Promise.reject(new Error('engine failure')) : engine.write(chunk)),
      end: () => engine.end(),
      free: () => engine.free(),
    };
    return wrapped;
  };
}

test('injector: a mid-stream engine failure passes the rest of the page through', async () => {
  const body = Array.from({ length: 400 }, (_, i) => `<p class="row">Row ${i} <a href="/r/${i}">link</a></p>\n`).join('');
  const input = html(`<!doctype html><html><head><meta charset="utf-8"></head><body>\n${body}</body></html>\n`);
  for (const chunkSize of [97, 1000, 4096]) {
    for (const failAt of [2, 5, 9].filter((n) => n <= Math.ceil(input.length / chunkSize))) {
      let fellBack: unknown;
      const stream = createInjector(injectorOptions(), { onFallback: (err) => { fellBack = err; } }, failingOnWrite(failAt));
      const out: Buffer[] = [];
      stream.on('data', (c: Buffer) => out.push(c));
      const done = new Promise((resolve, reject) => { stream.once('end', resolve); stream.once('error', reject); });
      for (let i = 0; i < input.length; i += chunkSize) stream.write(input.subarray(i, i + chunkSize));
      stream.end();
      await done;
      assert.ok(fellBack instanceof Error, `fell back (chunk ${chunkSize}, failure at write ${failAt})`);
      assert.ok(stream.failed);
      const text = Buffer.concat(out).toString();
      const injected = text.indexOf('<script type="application/json"');
      assert.ok(injected > 0);
      const withoutInjection = text.replace(/(<style>[^<]*<\/style>)?<script type="application\/json"[^]*?<\/script><script src="[^"]+" defer><\/script>/, '');
      assert.equal(withoutInjection, input.toString(), `the page is whole (chunk ${chunkSize}, failure at write ${failAt})`);
    }
  }
});

test('injector: UTF-16 pages pass through untouched, by BOM or by declared charset', async () => {
  const utf16 = Buffer.from('\ufeff<html><head></head><img src="/a.png"></html>', 'utf16le');
  assert.ok((await runInjector(utf16, injectorOptions({ policy: 'peer' }))).output.equals(utf16));
  const declared = Buffer.from('<html><head></head><img src="/a.png"></html>', 'utf16le');
  assert.ok((await runInjector(declared, injectorOptions({ policy: 'peer', charset: 'UTF-16LE' }))).output.equals(declared));
});

test('injector: page URL host and sameOriginHosts decide same-origin, port included', async () => {
  const input = html('<img src="http://site.test/a.png"><img src="http://site.test:81/b.png"><img src="https://cdn.site.test/c.png">');
  const { output } = await runInjector(input, { ...injectorOptions(), sameOriginHosts: ['CDN.site.test'] });
  assert.equal((output.toString().match(/data-p2p=/g) ?? []).length, 2);
  assert.equal(new URL(TEST_PAGE_URL).host, 'site.test');
});

test('injector: a parked <img> without width/height gets the intrinsic size the config carries, marked for the client to remove; declared sizes, srcset, pictures and HTTP images are left alone', async () => {
  const sha256 = 'c'.repeat(64);
  const asset = (url: string, width?: number, height?: number) => ({ url, id: assetIdFor(`http://site.test${url}`), sha256, size: 10, type: 'image/png', ...(width ? { width, height } : {}) });
  const options = injectorOptions({ policy: { peer: ['/p/'] } });
  options.clientConfig = { ...options.clientConfig, assets: [asset('/p/wide.png', 480, 160), asset('/p/nosize.png'), asset('/h/wide.png', 480, 160), asset('/p/huge.png', 70_000, 10)] };
  const input = html('<head></head><img src="/p/wide.png" alt="a"><img src="/p/wide.png" width="100"><img src="/p/wide.png" srcset="/p/wide.png 2x">'
    + '<picture><img src="/p/wide.png"></picture><img src="/p/nosize.png"><img src="/h/wide.png"><img src="/p/huge.png">');
  const { output } = await runInjector(input, options);
  const imgs = [...output.toString().matchAll(/<img [^>]*>/g)].map((m) => m[0]);
  assert.equal(imgs.length, 7);
  assert.match(imgs[0] ?? '', /^<img alt="a" data-p2p="[^"]+\.image\.peer" data-p2p-src="\/p\/wide\.png" width="480" height="160" data-p2p-size="">$/);
  for (const img of imgs.slice(1)) assert.doesNotMatch(img, /data-p2p-size|height=/, img);
  assert.match(imgs[1] ?? '', /width="100"/);
});
