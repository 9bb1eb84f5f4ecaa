import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAssetTag, parseAssetTag } from '../../protocol/media.js';

const ID = 'V83tYFuMA0PjD-_N5r-8dn';

test('asset tag: format and parse round-trip every kind and mode', () => {
  for (const kind of ['image', 'video', 'audio'] as const) {
    for (const mode of ['peer', 'http'] as const) {
      const value = formatAssetTag(ID, kind, mode);
      assert.equal(value, `${ID}.${kind}.${mode}`);
      assert.deepEqual(parseAssetTag(value), { id: ID, kind, mode });
    }
  }
});

test('asset tag: malformed values throw', () => {
  for (const value of ['', ID, `${ID}.image`, `${ID}.image.peer.x`, `.image.peer`, `${ID}.font.peer`, `${ID}.image.maybe`, `${ID}.Image.peer`]) {
    assert.throws(() => parseAssetTag(value), TypeError, JSON.stringify(value));
  }
});
