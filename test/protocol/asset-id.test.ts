import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assetIdFor } from '../../core/asset-id.js';
import { ASSET_ID_LENGTH, isAssetId } from '../../protocol/asset-id.js';

test('every computed asset id passes isAssetId', () => {
  for (const url of ['http://site.test/a.png', 'https://site.test/dir/%C3%A9t%C3%A9.jpg?v=2#frag', 'http://site.test/']) {
    const id = assetIdFor(url);
    assert.equal(id.length, ASSET_ID_LENGTH);
    assert.ok(isAssetId(id), id);
  }
});

test('isAssetId refuses other lengths, other alphabets and non-strings', () => {
  const id = assetIdFor('http://site.test/a.png');
  for (const bad of [id.slice(1), `${id}x`, `${id.slice(1)}/`, `${id.slice(1)}=`, '', '../../etc', 22, undefined]) {
    assert.equal(isAssetId(bad), false, String(bad));
  }
});
