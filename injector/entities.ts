/**
 * Character references in attribute values, decoded the way the HTML tokenizer
 * does in the "attribute value" state — but only as far as this module can be
 * sure. lol-html hands attribute values over raw, and the same-origin check must
 * see what the browser will see (`src="https&colon;//evil.example/x.png"` is
 * cross-origin). Rather than ship the 2,231-name table, it knows every named
 * reference that decodes to ASCII plus the legacy (no-semicolon) Latin-1 set,
 * and answers `undefined` ("cannot tell") for any other `&name;`: the element is
 * then left untouched, which is always safe.
 */

/** Named references (with `;`) whose value is ASCII. */
const ASCII_NAMED: Readonly<Record<string, string>> = {
  Tab: '\t', NewLine: '\n', excl: '!', quot: '"', QUOT: '"', num: '#', dollar: '$', percnt: '%',
  amp: '&', AMP: '&', apos: "'", lpar: '(', rpar: ')', ast: '*', midast: '*', plus: '+', comma: ',',
  period: '.', sol: '/', colon: ':', semi: ';', lt: '<', LT: '<', equals: '=', gt: '>', GT: '>',
  quest: '?', commat: '@', lsqb: '[', lbrack: '[', bsol: '\\', rsqb: ']', rbrack: ']', Hat: '^',
  lowbar: '_', UnderBar: '_', grave: '`', DiacriticalGrave: '`', lcub: '{', lbrace: '{',
  verbar: '|', vert: '|', VerticalLine: '|', rcub: '}', rbrace: '}', fjlig: 'fj',
};

/** Legacy references recognised without `;`: Latin-1 160–255 in code point order, then the ASCII six. */
const LATIN1_NAMES = (
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 ' +
  'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde ' +
  'Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute ' +
  'Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde ' +
  'auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ' +
  'ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'
).split(' ');

const LEGACY = new Map<string, string>([
  ...LATIN1_NAMES.map((name, i) => [name, String.fromCharCode(160 + i)] as [string, string]),
  ['amp', '&'], ['AMP', '&'], ['lt', '<'], ['LT', '<'], ['gt', '>'], ['GT', '>'],
  ['quot', '"'], ['QUOT', '"'], ['COPY', '\u00a9'], ['REG', '\u00ae'],
]);
const LEGACY_MAX_LENGTH = 6;

/** Numeric references to C1 controls are remapped (windows-1252); this module declines them instead. */
function numericValue(code: number): string | undefined {
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  if (code >= 0x80 && code <= 0x9f) return undefined;
  return String.fromCodePoint(code);
}

const ALNUM = /[A-Za-z0-9]/;

/**
 * Decodes character references in a raw attribute value; `undefined` when the
 * value holds a reference this module does not know.
 */
export function decodeAttributeValue(raw: string): string | undefined {
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const amp = raw.indexOf('&', i);
    if (amp < 0) {
      out += raw.slice(i);
      break;
    }
    out += raw.slice(i, amp);
    i = amp + 1;
    if (raw[i] === '#') {
      const hex = raw[i + 1] === 'x' || raw[i + 1] === 'X';
      const digits = (hex ? /^[0-9A-Fa-f]+/ : /^[0-9]+/).exec(raw.slice(i + (hex ? 2 : 1), i + (hex ? 2 : 1) + 16));
      if (!digits) {
        out += '&';
        continue;
      }
      // A digit run this long is absurd in a URL; not worth deciding where it ends.
      if (digits[0].length >= 16) return undefined;
      const code = digits[0].length > 8 ? 0x110000 : Number.parseInt(digits[0], hex ? 16 : 10);
      const value = numericValue(code);
      if (value === undefined) return undefined;
      out += value;
      i += (hex ? 2 : 1) + digits[0].length;
      if (raw[i] === ';') i++;
      continue;
    }
    const name = /^[A-Za-z][A-Za-z0-9]*/.exec(raw.slice(i, i + 40));
    if (!name) {
      out += '&';
      continue;
    }
    const word = name[0];
    if (raw[i + word.length] === ';') {
      const ascii = ASCII_NAMED[word];
      if (ascii !== undefined && Object.hasOwn(ASCII_NAMED, word)) {
        out += ascii;
        i += word.length + 1;
        continue;
      }
      const legacy = LEGACY.get(word);
      if (legacy !== undefined) {
        out += legacy;
        i += word.length + 1;
        continue;
      }
      // Some other name followed by `;`: either a real reference outside our
      // tables or literal text; we cannot tell which.
      return undefined;
    }
    // No `;`: only a legacy name can match, longest first, and in attribute
    // values a match followed by an alphanumeric or `=` stays literal.
    let matched = false;
    for (let length = Math.min(word.length, LEGACY_MAX_LENGTH); length >= 2; length--) {
      const value = LEGACY.get(word.slice(0, length));
      if (value === undefined) continue;
      const next = raw[i + length];
      if (next !== undefined && (next === '=' || ALNUM.test(next))) {
        matched = true;
        out += '&';
        break;
      }
      out += value;
      i += length;
      matched = true;
      break;
    }
    if (!matched) {
      // A name that is a prefix of a longer real reference without its `;`
      // (e.g. `&notin` without `;` still decodes `&not`) is covered above; any
      // other name is literal text.
      out += '&';
    }
  }
  return out;
}
