import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assetTagOf, kindOf } from '../../client/dom/media-elements.js';

const ID = 'V83tYFuMA0PjD-_N5r-8dn';

/** Just enough of an Element for attribute reads. */
function element(tagName: string, attrs: Record<string, string>): Element {
  return { tagName, getAttribute: (name: string) => attrs[name] ?? null } as unknown as Element;
}

test('assetTagOf: reads id, kind and mode from data-p2p', () => {
  assert.deepEqual(assetTagOf(element('IMG', { 'data-p2p': `${ID}.image.peer` })), { id: ID, kind: 'image', mode: 'peer' });
  assert.deepEqual(assetTagOf(element('SOURCE', { 'data-p2p': `${ID}.video.http` })), { id: ID, kind: 'video', mode: 'http' });
});

test('assetTagOf: absent or malformed tags are undefined, never a throw', () => {
  assert.equal(assetTagOf(element('IMG', {})), undefined);
  assert.equal(assetTagOf(element('IMG', { 'data-p2p': 'made.up' })), undefined);
  assert.equal(assetTagOf(element('IMG', { 'data-p2p': `${ID}.font.peer` })), undefined);
});

test('kindOf: the tag decides; without one, the element name', () => {
  assert.equal(kindOf(element('SOURCE', { 'data-p2p': `${ID}.audio.http` })), 'audio');
  assert.equal(kindOf(element('VIDEO', {})), 'video');
  assert.equal(kindOf(element('SOURCE', {})), undefined);
});
