import { test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseBox, reserveBox } from '../../client/images/layout-box.js';

/** Just enough of an <img> for the box reservation: attributes, inline style, computed display. */
function fakeImage(attributes: Record<string, string>, computedDisplay = 'inline', inline: Record<string, string> = {}): HTMLImageElement {
  const attrs = new Map(Object.entries(attributes));
  const props: Record<string, string> = { aspectRatio: '', display: '', overflow: '', ...inline };
  const css: Record<string, string> = { 'aspect-ratio': 'aspectRatio', display: 'display', overflow: 'overflow' };
  const style = new Proxy(props, {
    get: (target, key) => (key === 'removeProperty' ? (name: string) => { target[css[name] as string] = ''; } : target[key as string]),
    set: (target, key, value: string) => {
      target[key as string] = value;
      return true;
    },
  });
  return {
    style,
    getAttribute: (name: string) => (name === 'style' ? Object.values(props).join('') : attrs.get(name) ?? null),
    hasAttribute: (name: string) => attrs.has(name),
    setAttribute: (name: string, value: string) => attrs.set(name, value),
    removeAttribute: (name: string) => attrs.delete(name),
    ownerDocument: { defaultView: { getComputedStyle: () => ({ display: computedDisplay }) } },
  } as unknown as HTMLImageElement;
}

test('a parked image with width and height holds their ratio as an inline-block until released', () => {
  const img = fakeImage({ width: '480', height: '160' });
  reserveBox(img);
  assert.equal(img.style.aspectRatio, '480 / 160');
  assert.equal(img.style.display, 'inline-block');
  assert.equal(img.style.overflow, 'hidden');
  reserveBox(img); // idempotent
  releaseBox(img);
  assert.equal(img.style.aspectRatio, '');
  assert.equal(img.style.display, '');
  assert.equal(img.style.overflow, '');
});

test("the page's own styles are left alone: a block image keeps its display, an inline aspect-ratio is kept", () => {
  const block = fakeImage({ width: '300', height: '200' }, 'block');
  reserveBox(block);
  assert.equal(block.style.aspectRatio, '300 / 200');
  assert.equal(block.style.display, '');
  releaseBox(block);
  assert.equal(block.style.aspectRatio, '');
  const styled = fakeImage({ width: '300', height: '200' }, 'inline', { aspectRatio: '1 / 1', display: 'inline' });
  reserveBox(styled);
  releaseBox(styled);
  assert.equal(styled.style.aspectRatio, '1 / 1');
  assert.equal(styled.style.display, 'inline');
});

test('without both dimensions nothing is reserved', () => {
  const cases: Record<string, string>[] = [{}, { width: '300' }, { width: '0', height: '10' }, { width: 'auto', height: '10' }];
  for (const attrs of cases) {
    const img = fakeImage(attrs);
    reserveBox(img);
    assert.equal(img.style.aspectRatio, '', JSON.stringify(attrs));
    assert.equal(img.style.display, '', JSON.stringify(attrs));
  }
});

test('without width/height attributes the ratio of the intrinsic size from the config is held (a srcset candidate: the page\'s CSS gives the width)', () => {
  const img = fakeImage({});
  reserveBox(img, { width: 960, height: 320 });
  assert.equal(img.style.aspectRatio, '960 / 320');
  assert.equal(img.style.display, 'inline-block');
  assert.equal(img.getAttribute('width'), null, 'no attributes are made up');
  releaseBox(img);
  assert.equal(img.style.aspectRatio, '');
  assert.equal(img.style.display, '');
});

test("the page's own width/height attributes win over the config's size, and one attribute alone is left to the browser", () => {
  const declared = fakeImage({ width: '300', height: '200' });
  reserveBox(declared, { width: 640, height: 360 });
  assert.equal(declared.style.aspectRatio, '300 / 200');
  releaseBox(declared);
  assert.equal(declared.getAttribute('width'), '300', 'the page\'s attributes stay');
  const half = fakeImage({ width: '300' });
  reserveBox(half, { width: 640, height: 360 });
  assert.equal(half.style.aspectRatio, '');
  assert.equal(half.getAttribute('height'), null);
});

test('width/height the proxy wrote (data-p2p-size) hold the box and are removed with their mark once the image paints', () => {
  const img = fakeImage({ width: '480', height: '160', 'data-p2p-size': '' });
  reserveBox(img, { width: 999, height: 1 });
  assert.equal(img.style.aspectRatio, '480 / 160');
  releaseBox(img);
  assert.equal(img.getAttribute('width'), null);
  assert.equal(img.getAttribute('height'), null);
  assert.equal(img.getAttribute('data-p2p-size'), null);
});
