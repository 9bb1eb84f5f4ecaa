import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickCandidate } from '../../client/dom/media-elements.js';

function fakeWindow(innerWidth: number, devicePixelRatio: number, matching: string[] = []): Window {
  return { innerWidth, devicePixelRatio, matchMedia: (q: string) => ({ matches: matching.includes(q) }) } as unknown as Window;
}

test('width descriptors: smallest candidate covering slot × DPR, else the largest', () => {
  const srcset = '/a-480.png 480w, /a-960.png 960w';
  assert.equal(pickCandidate(srcset, '100vw', fakeWindow(400, 1))?.url, '/a-480.png');
  assert.equal(pickCandidate(srcset, '100vw', fakeWindow(600, 1))?.url, '/a-960.png');
  assert.equal(pickCandidate(srcset, '100vw', fakeWindow(1200, 1))?.url, '/a-960.png');
  assert.equal(pickCandidate(srcset, '100vw', fakeWindow(400, 2))?.url, '/a-960.png');
});

test('sizes media conditions and px slots are honoured', () => {
  const srcset = '/s.png 200w, /m.png 400w, /l.png 800w';
  assert.equal(pickCandidate(srcset, '(min-width: 900px) 300px, 100vw', fakeWindow(1000, 1, ['(min-width: 900px)']))?.url, '/m.png');
  assert.equal(pickCandidate(srcset, '(min-width: 900px) 300px, 100vw', fakeWindow(700, 1))?.url, '/l.png');
});

test('density descriptors and bare URLs', () => {
  assert.equal(pickCandidate('/x1.png, /x2.png 2x', null, fakeWindow(800, 2))?.url, '/x2.png');
  assert.equal(pickCandidate('/x1.png 1x, /x2.png 2x', null, fakeWindow(800, 1))?.url, '/x1.png');
  assert.equal(pickCandidate('', null, fakeWindow(800, 1)), undefined);
  assert.deepEqual(pickCandidate('/a.png 480w', '100vw', fakeWindow(400, 1)), { url: '/a.png', descriptor: '480w' });
});
