import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { CLIENT_CONFIG_ELEMENT_ID, type ClientConfig } from '../../protocol/client-config.js';
import { PARKED_BOX_CSS, escapeAttribute, injectionMarkup, scriptSafeJson } from '../../injector/config-script.js';

const CONFIG: ClientConfig = { v: 1, prefix: '/__p2p', peerTimeoutMs: 3000, iceServers: ['stun:stun.test:3478'], mediaTypes: ['image'] };

/** Values an operator-controlled option could carry into the page. */
const HOSTILE = [
  '</script><script>alert(1)</script>',
  '</SCRIPT >',
  '<!-- <script>',
  '-->',
  ']]>',
  'a & b > c < d',
  'line\u2028separator\u2029paragraph',
  'café ☃ 𝄞 😀',
  '"quoted" \'single\' \\ back',
  '\u0000\u001f\u007f',
];

test('scriptSafeJson: round-trips every value through JSON.parse', () => {
  for (const text of HOSTILE) {
    assert.deepEqual(JSON.parse(scriptSafeJson({ text, list: [text] })), { text, list: [text] }, text);
  }
  assert.deepEqual(JSON.parse(scriptSafeJson(CONFIG)), CONFIG);
});

test('scriptSafeJson: output is printable ASCII with no <, > or &', () => {
  for (const text of HOSTILE) {
    const json = scriptSafeJson({ text });
    assert.doesNotMatch(json, /[<>&]/, text);
    assert.doesNotMatch(json, /[^\x00-\x7f]/, text);
    assert.ok(!json.toLowerCase().includes('</script'), text);
    assert.ok(!json.includes('<!--'), text);
  }
});

test('scriptSafeJson: U+2028 and U+2029 become \\u escapes', () => {
  assert.equal(scriptSafeJson('\u2028\u2029'), '"\\u2028\\u2029"');
  assert.equal(scriptSafeJson('<&>'), '"\\u003c\\u0026\\u003e"');
});

test('scriptSafeJson: characters outside the BMP are escaped as surrogate pairs', () => {
  assert.equal(scriptSafeJson('😀'), '"\\ud83d\\ude00"');
  assert.equal(JSON.parse(scriptSafeJson('😀')), '😀');
});

test('escapeAttribute: &, ", < and > are escaped; & first so nothing is escaped twice', () => {
  assert.equal(escapeAttribute('a&b"c<d>e'), 'a&amp;b&quot;c&lt;d&gt;e');
  assert.equal(escapeAttribute('&amp;'), '&amp;amp;');
  assert.equal(escapeAttribute("it's"), "it's", 'single quotes are harmless in a double-quoted attribute');
});

test('injection markup: an HTML parser sees the config block and the deferred client, nothing more', () => {
  const config = { ...CONFIG, prefix: HOSTILE[0] as string, iceServers: HOSTILE };
  const markup = injectionMarkup(config, '/__p2p/client.js?x="><script>bad()</script>', undefined);
  const $ = cheerio.load(`<!doctype html><html><head>${markup}</head><body></body></html>`);
  const scripts = $('script');
  assert.equal(scripts.length, 2);
  const block = scripts.eq(0);
  assert.equal(block.attr('type'), 'application/json');
  assert.equal(block.attr('id'), CLIENT_CONFIG_ELEMENT_ID);
  assert.deepEqual(JSON.parse(block.text()), config);
  const client = scripts.eq(1);
  assert.equal(client.attr('src'), '/__p2p/client.js?x="><script>bad()</script>');
  assert.ok(client.is('[defer]'));
  assert.equal(client.attr('nonce'), undefined);
});

test('injection markup: the nonce goes on the client script only when given', () => {
  assert.ok(!injectionMarkup(CONFIG, '/c.js', undefined).includes('nonce'));
  const $ = cheerio.load(injectionMarkup(CONFIG, '/c.js', 'abc+/='));
  assert.equal($('script').eq(1).attr('nonce'), 'abc+/=');
  assert.equal($('script').eq(0).attr('nonce'), undefined);
});

test('injection markup: asset entries in the config (URLs from the page) cannot break out of the block', () => {
  const assets = HOSTILE.map((text, i) => ({ url: `/images/${text}.png?q=${text}`, id: `A${String(i).padStart(21, '0')}`, sha256: 'a'.repeat(64), size: i, type: text }));
  const config: ClientConfig = { ...CONFIG, assets };
  const markup = injectionMarkup(config, '/c.js', undefined);
  const $ = cheerio.load(`<!doctype html><html><head>${markup}</head><body></body></html>`);
  assert.equal($('script').length, 2);
  assert.deepEqual(JSON.parse($('script').eq(0).text()), config);
  const open = markup.indexOf(`id="${CLIENT_CONFIG_ELEMENT_ID}">`) + `id="${CLIENT_CONFIG_ELEMENT_ID}">`.length;
  const body = markup.slice(open, markup.indexOf('</script>'));
  assert.doesNotMatch(body, /[<>&]/);
});

test('injection markup: the parked-image box style comes first, only on pages without a CSP nonce, and has no specificity', () => {
  const $ = cheerio.load(`<!doctype html><html><head>${injectionMarkup(CONFIG, '/c.js', undefined)}</head><body></body></html>`);
  assert.equal($('head > *').first().prop('tagName'), 'STYLE');
  assert.equal($('style').text(), PARKED_BOX_CSS);
  assert.match(PARKED_BOX_CSS, /^:where\(img\[data-p2p-src\],img\[data-p2p-srcset\]\)\{/);
  assert.ok(!injectionMarkup(CONFIG, '/c.js', 'n0nce').includes('<style'), 'a CSP may forbid inline styles: none is added');
});
