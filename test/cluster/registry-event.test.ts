import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeld, parsePeerRecord, parseRegistryEvent } from '../../proxy/cluster/registry-event.js';

test('registry events: every kind parses, with the publishing instance', () => {
  assert.deepEqual(parseRegistryEvent('{"i":"a","e":"join","peer":{"id":"p","role":"browser","network":"10.0.0.0/24","country":"FR"}}'),
    { i: 'a', e: 'join', peer: { id: 'p', role: 'browser', network: '10.0.0.0/24', country: 'FR' } });
  assert.deepEqual(parseRegistryEvent('{"i":"a","e":"leave","id":"p"}'), { i: 'a', e: 'leave', id: 'p' });
  assert.deepEqual(parseRegistryEvent('{"i":"a","e":"have","id":"p","assets":["x","y"]}'), { i: 'a', e: 'have', id: 'p', assets: ['x', 'y'] });
  assert.deepEqual(parseRegistryEvent('{"i":"a","e":"lost","id":"p","assets":["x"]}'), { i: 'a', e: 'lost', id: 'p', assets: ['x'] });
  assert.deepEqual(parseRegistryEvent('{"i":"a","e":"gone"}'), { i: 'a', e: 'gone' });
  assert.deepEqual(parseRegistryEvent('{"i":"a","e":"hello"}'), { i: 'a', e: 'hello' });
});

test('registry events: anything else throws (not JSON, unknown kind, bad role, oversized ids or lists)', () => {
  for (const bad of [
    'not json',
    '{"i":"a","e":"explode"}',
    '{"e":"gone"}',
    '{"i":"a","e":"join","peer":{"id":"p","role":"king","network":"n"}}',
    `{"i":"a","e":"leave","id":"${'x'.repeat(200)}"}`,
    `{"i":"a","e":"have","id":"p","assets":${JSON.stringify(Array.from({ length: 5000 }, (_, i) => `a${i}`))}}`,
    '{"i":"a","e":"have","id":"p","assets":[1]}',
  ]) assert.throws(() => parseRegistryEvent(bad), Error, bad.slice(0, 60));
});

test('stored records and holdings: parsed, or thrown out', () => {
  assert.deepEqual(parsePeerRecord('{"id":"s","role":"seeder","network":"local"}'), { id: 's', role: 'seeder', network: 'local' });
  assert.throws(() => parsePeerRecord('{"id":"s","role":"seeder"}'));
  assert.deepEqual(parseHeld('["a","b"]'), ['a', 'b']);
  assert.throws(() => parseHeld('{"a":1}'));
});
