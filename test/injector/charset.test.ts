import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charsetFromContentType, isAsciiCompatibleLabel, isUtf8Label, sniffBom } from '../../injector/charset.js';

test('UTF-8 labels: every WHATWG label of UTF-8, nothing else', () => {
  for (const label of ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8']) {
    assert.equal(isUtf8Label(label), true, label);
  }
  for (const label of [undefined, '', 'utf-16', 'iso-8859-1', 'windows-1252', 'utf-8 ', 'utf_8']) {
    assert.equal(isUtf8Label(label), false, String(label));
  }
});

test('ASCII-compatible: absent and single-byte or UTF-8 labels are; UTF-16/32, ISO-2022, HZ and UTF-7 are not', () => {
  for (const label of [undefined, 'utf-8', 'iso-8859-1', 'windows-1252', 'shift_jis', 'euc-jp', 'gb18030', 'big5', 'koi8-r']) {
    assert.equal(isAsciiCompatibleLabel(label), true, String(label));
  }
  for (const label of ['utf-16', 'utf16', 'utf-16le', 'utf-16be', 'ucs-2', 'csunicode', 'iso-10646-ucs-2', 'unicode', 'unicodefffe', 'unicodefeff',
    'iso-2022-jp', 'iso-2022-kr', 'iso-2022-cn', 'iso-2022-cn-ext', 'csiso2022jp', 'hz-gb-2312', 'utf-32', 'utf-32le', 'utf-7']) {
    assert.equal(isAsciiCompatibleLabel(label), false, label);
  }
});

test('BOM sniffing: UTF-8 needs all three bytes; UTF-16 in either byte order', () => {
  assert.equal(sniffBom(Uint8Array.from([0xef, 0xbb, 0xbf, 0x3c])), 'utf-8');
  assert.equal(sniffBom(Uint8Array.from([0xef, 0xbb, 0xbf])), 'utf-8');
  assert.equal(sniffBom(Uint8Array.from([0xef, 0xbb])), undefined);
  assert.equal(sniffBom(Uint8Array.from([0xfe, 0xff, 0x00, 0x3c])), 'utf-16be');
  assert.equal(sniffBom(Uint8Array.from([0xff, 0xfe, 0x3c, 0x00])), 'utf-16le');
  assert.equal(sniffBom(Uint8Array.from([0x3c, 0x21])), undefined);
  assert.equal(sniffBom(new Uint8Array(0)), undefined);
});

test('charset parameter: found anywhere among parameters, quoted or not, lower-cased', () => {
  assert.equal(charsetFromContentType('text/html; charset=UTF-8'), 'utf-8');
  assert.equal(charsetFromContentType('text/html;charset="ISO-8859-1"'), 'iso-8859-1');
  assert.equal(charsetFromContentType('text/html; a=b; Charset = Shift_JIS ; q=1'), 'shift_jis');
  assert.equal(charsetFromContentType('text/html; charset=utf-8, text/plain'), 'utf-8');
});

test('charset parameter: absent, empty or without a value gives undefined', () => {
  for (const value of [undefined, '', 'text/html', 'text/html; charset=', 'text/html; charset=""', 'text/html; xcharset']) {
    assert.equal(charsetFromContentType(value), undefined, String(value));
  }
});
