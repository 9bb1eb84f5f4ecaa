import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { escapeHtml } from '../../core/utils/escape-html.js';

test('the five HTML-special characters are escaped', () => {
  assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
});

test('& is escaped once, so existing references stay visible as text', () => {
  assert.equal(escapeHtml('&amp; &#39;'), '&amp;amp; &amp;#39;');
});

test('everything else passes unchanged', () => {
  const text = 'plain text, é ☃ 😀 \u2028 / = ` \n\t';
  assert.equal(escapeHtml(text), text);
  assert.equal(escapeHtml(''), '');
});

test('an HTML parser reads back the original text, in a text node and in both kinds of quoted attribute', () => {
  for (const text of ['</p><script>alert(1)</script>', `" onmouseover="x`, `' onmouseover='x`, 'a &amp b &lt; c', '<!-- -->']) {
    const $ = cheerio.load(`<p title="${escapeHtml(text)}" data-x='${escapeHtml(text)}'>${escapeHtml(text)}</p>`);
    assert.equal($('p').length, 1, text);
    assert.equal($('script').length, 0, text);
    assert.equal($('p').text(), text);
    assert.equal($('p').attr('title'), text);
    assert.equal($('p').attr('data-x'), text);
    assert.deepEqual(Object.keys($('p').attr() ?? {}).sort(), ['data-x', 'title'], text);
  }
});
