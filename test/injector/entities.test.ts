import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHTMLAttribute } from 'entities';
import { decodeAttributeValue } from '../../injector/entities.js';

test('entities: decodes the references that matter for URLs', () => {
  assert.equal(decodeAttributeValue('/a.png?x=1&amp;y=2'), '/a.png?x=1&y=2');
  assert.equal(decodeAttributeValue('https&colon;&sol;&sol;evil.test/'), 'https://evil.test/');
  assert.equal(decodeAttributeValue('&#x2F;&#47;b'), '//b');
  assert.equal(decodeAttributeValue('&#47b'), '/b', 'numeric references need no semicolon');
  assert.equal(decodeAttributeValue('a&copy=2&ampx'), 'a&copy=2&ampx', 'legacy names before = or alphanumerics stay literal');
  assert.equal(decodeAttributeValue('a&not_x'), 'a\u00ac_x');
  assert.equal(decodeAttributeValue('&#0;'), '\ufffd');
  assert.equal(decodeAttributeValue('no refs'), 'no refs');
  assert.equal(decodeAttributeValue('&;&#;&#x;'), '&;&#;&#x;');
});

test('entities: declines what it cannot know instead of guessing', () => {
  assert.equal(decodeAttributeValue('&notin;'), undefined);
  assert.equal(decodeAttributeValue('&bogus;'), undefined);
  assert.equal(decodeAttributeValue('&#x80;'), undefined, 'C1 references are remapped by browsers');
});

const ALPHABET = ['&', '#', 'x', ';', 'a', 'm', 'p', 'l', 't', 'c', 'o', 'y', 'n', '=', '1', '2', 'F', '/', ':', 'A', 'M', 'P', 'C', 'O', 'Y', 'e', 'E', 'q', 'u', 'r', 'g', 's', '_', '9', 'colon;', 'sol;', 'amp', 'copy', 'not', 'nbsp', 'lt', 'quot', 'AElig', 'eacute', '#x3', '#10'];

test('entities: agrees with the full WHATWG table wherever it answers (5,000 random values)', () => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let answered = 0;
  for (let i = 0; i < 5000; i++) {
    let value = '';
    const length = 1 + random(12);
    for (let k = 0; k < length; k++) value += ALPHABET[random(ALPHABET.length)];
    const ours = decodeAttributeValue(value);
    if (ours === undefined) continue;
    answered++;
    assert.equal(ours, decodeHTMLAttribute(value), `decoding ${JSON.stringify(value)}`);
  }
  assert.ok(answered > 2500, `answered ${answered} of 5000`);
});
