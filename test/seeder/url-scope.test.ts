import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UrlRefusedError, UrlScope } from '../../seeder/index/url-scope.js';

const scope = (): UrlScope => new UrlScope('http://origin.test:8000', ['www.example.com', undefined]);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof UrlRefusedError) return err.reason;
    throw err;
  }
  return 'accepted';
}

test('paths and site URLs map onto the origin, keeping path and query, dropping the fragment', () => {
  const s = scope();
  const a = s.resolve('/img/a.png?w=2#x', 'http://proxy.test:8080/page');
  assert.equal(a.upstream.href, 'http://origin.test:8000/img/a.png?w=2');
  assert.equal(a.requested.href, 'http://proxy.test:8080/img/a.png?w=2');
  assert.equal(s.resolve('https://www.example.com/b.png').upstream.href, 'http://origin.test:8000/b.png');
  assert.equal(s.resolve('http://origin.test:8000/c.png').upstream.href, 'http://origin.test:8000/c.png');
  assert.equal(s.resolve('../d.png', 'http://www.example.com/x/y/').upstream.pathname, '/x/d.png');
});

test('other hosts, ports, schemes and credentials are refused', () => {
  const s = scope();
  assert.equal(refusal(() => s.resolve('http://evil.test/a.png', 'http://proxy.test:8080/')), 'forbidden');
  assert.equal(refusal(() => s.resolve('http://origin.test:9000/a.png')), 'forbidden');
  assert.equal(refusal(() => s.resolve('http://proxy.test:8081/a.png', 'http://proxy.test:8080/')), 'forbidden');
  assert.equal(refusal(() => s.resolve('file:///etc/passwd')), 'forbidden');
  assert.equal(refusal(() => s.resolve('data:image/png;base64,AA')), 'forbidden');
  assert.equal(refusal(() => s.resolve('javascript:alert(1)')), 'forbidden');
  assert.equal(refusal(() => s.resolve('http://u:p@www.example.com/a.png')), 'forbidden');
  assert.equal(refusal(() => s.resolve('/a.png')), 'bad-url');
  assert.equal(refusal(() => s.resolve('x'.repeat(3000), 'http://www.example.com/')), 'bad-url');
});

test('hosts learned from requests count as the site, boundedly', () => {
  const s = scope();
  assert.equal(refusal(() => s.resolve('http://proxy.test:8080/a.png')), 'forbidden');
  s.learnHost('proxy.test:8080');
  assert.equal(s.resolve('http://proxy.test:8080/a.png').upstream.href, 'http://origin.test:8000/a.png');
  for (let i = 0; i < 100; i++) s.learnHost(`h${i}.test`);
  assert.equal(s.isSiteHost('proxy.test:8080'), false);
  assert.equal(s.isSiteHost('h99.test'), true);
  assert.equal(s.isSiteHost('origin.test:8000'), true);
});

test('redirect targets must stay on the origin itself', () => {
  const s = scope();
  assert.equal(s.isOrigin(new URL('http://origin.test:8000/x')), true);
  assert.equal(s.isOrigin(new URL('https://origin.test:8000/x')), false);
  assert.equal(s.isOrigin(new URL('http://www.example.com/x')), false);
});
