import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assetIdFor } from '../../core/asset-id.js';
import { resolveInjectorOptions, type InjectorOptions } from '../../injector/options.js';
import { URL_MAX_LENGTH, UrlJudge, movable } from '../../injector/url-judge.js';

function judge(options: Partial<InjectorOptions> = {}): UrlJudge {
  return new UrlJudge(resolveInjectorOptions({
    pageUrl: 'https://site.test/dir/page.html',
    assetId: assetIdFor,
    scriptSrc: '/__p2p/client.js',
    clientConfig: { v: 1, prefix: '/__p2p', peerTimeoutMs: 3000, iceServers: [], mediaTypes: ['image', 'video', 'audio'] },
    ...options,
  }));
}

const urlOf = (j: UrlJudge, raw: string): string | undefined => j.judge(raw, 'image')?.url;

test('relative and absolute same-origin URLs resolve against the page, with the id of the resolved URL', () => {
  const j = judge();
  assert.deepEqual(j.judge('img/a.png', 'image'), { url: 'https://site.test/dir/img/a.png', id: assetIdFor('https://site.test/dir/img/a.png') });
  assert.equal(urlOf(j, '/a.png'), 'https://site.test/a.png');
  assert.equal(urlOf(j, '//site.test/b.png'), 'https://site.test/b.png');
  assert.equal(urlOf(j, 'https://SITE.test/c.png?v=2'), 'https://site.test/c.png?v=2');
});

test('the fragment is dropped: a.png and a.png#x are one asset', () => {
  const j = judge();
  assert.deepEqual(j.judge('/a.png#frag', 'image'), j.judge('/a.png', 'image'));
});

test('other hosts, ports and schemes are declined; listed hosts count as same-origin', () => {
  const j = judge({ sameOriginHosts: ['CDN.site.test'] });
  assert.equal(urlOf(j, 'https://other.test/a.png'), undefined);
  assert.equal(urlOf(j, 'https://site.test:8443/a.png'), undefined);
  assert.equal(urlOf(j, 'https://cdn.site.test/a.png'), 'https://cdn.site.test/a.png');
  assert.equal(urlOf(j, 'http://site.test/a.png'), 'http://site.test/a.png', 'same host over http is still the proxied site');
  for (const raw of ['data:image/png;base64,AAAA', 'blob:https://site.test/uuid', 'javascript:alert(1)', 'ftp://site.test/a.png']) {
    assert.equal(urlOf(j, raw), undefined, raw);
  }
});

test('character references are decoded before judging, as the browser would', () => {
  const j = judge();
  assert.equal(urlOf(j, '/a.png?x=1&amp;y=2'), 'https://site.test/a.png?x=1&y=2');
  assert.equal(urlOf(j, 'https&colon;//other.test/a.png'), undefined, 'a disguised cross-origin URL stays cross-origin');
  assert.equal(urlOf(j, '/a.png?&unknownentity;'), undefined, 'an undecodable reference is left alone');
});

test('empty, blank, over-long and damaged values are declined', () => {
  const j = judge();
  assert.equal(urlOf(j, ''), undefined);
  assert.equal(urlOf(j, '   '), undefined);
  assert.equal(urlOf(j, '\ufffd.png'), undefined);
  const path = '/' + 'a'.repeat(URL_MAX_LENGTH - 5) + '.png';
  assert.equal(path.length, URL_MAX_LENGTH);
  assert.equal(urlOf(j, path), `https://site.test${path}`);
  assert.equal(urlOf(j, path + 'x'), undefined);
});

test('excluded formats go by the last path segment, case-insensitively', () => {
  const j = judge({ excludeFormats: ['GIF', 'svg'] });
  assert.equal(urlOf(j, '/a.gif'), undefined);
  assert.equal(urlOf(j, '/a.GIF?v=1'), undefined);
  assert.equal(urlOf(j, '/a.svg'), undefined);
  assert.equal(urlOf(j, '/dir.gif/a.png'), 'https://site.test/dir.gif/a.png');
  assert.equal(urlOf(j, '/a.png?as=.gif'), 'https://site.test/a.png?as=.gif');
  assert.equal(urlOf(judge(), '/a.gif'), undefined, 'gif is excluded by default');
});

test('kinds outside mediaTypes are never judged eligible', () => {
  const j = judge({ mediaTypes: ['video'] });
  assert.equal(j.kindAllowed('image'), false);
  assert.equal(j.kindAllowed('video'), true);
  assert.equal(j.judge('/a.png', 'image'), undefined);
  assert.equal(j.judge('/a.mp4', 'video')?.url, 'https://site.test/a.mp4');
});

test('non-ASCII URLs are judged only once the page is known to be UTF-8', () => {
  const j = judge();
  assert.equal(urlOf(j, '/été.png'), undefined);
  assert.equal(urlOf(j, '/&eacute;t&eacute;.png'), undefined, 'a reference that decodes to non-ASCII counts too');
  j.utf8 = true;
  assert.equal(urlOf(j, '/été.png'), 'https://site.test/%C3%A9t%C3%A9.png');
  assert.equal(urlOf(j, '/&eacute;t&eacute;.png'), 'https://site.test/%C3%A9t%C3%A9.png');
  assert.equal(urlOf(j, '/\ufffd.png'), undefined);
});

test('<base href>: the first one wins, resolved against the page; non-http and invalid ones are ignored', () => {
  const j = judge();
  j.setBase('../assets/');
  j.setBase('https://site.test/second/');
  assert.equal(urlOf(j, 'a.png'), 'https://site.test/assets/a.png');

  const crossOrigin = judge();
  crossOrigin.setBase('https://other.test/');
  assert.equal(urlOf(crossOrigin, 'a.png'), undefined, 'relative URLs now point at another origin');
  assert.equal(urlOf(crossOrigin, 'https://site.test/a.png'), 'https://site.test/a.png');

  for (const base of ['javascript:void(0)//', 'http://[bad/']) {
    const j2 = judge();
    j2.setBase(base);
    j2.setBase('/later/');
    assert.equal(urlOf(j2, 'a.png'), 'https://site.test/dir/a.png', base);
  }
});

test('an asset id function that throws means the URL is left alone', () => {
  const j = judge({ assetId: () => { throw new Error('no id'); } });
  assert.equal(j.judge('/a.png', 'image'), undefined);
});

test('movable: bounded values without U+FFFD', () => {
  assert.equal(movable('/a.png'), true);
  assert.equal(movable('x'.repeat(URL_MAX_LENGTH)), true);
  assert.equal(movable('x'.repeat(URL_MAX_LENGTH + 1)), false);
  assert.equal(movable('/\ufffd.png'), false);
});
