/**
 * Charset facts the injector needs. lol-html (as built for wasm) reads input as
 * UTF-8 and passes untouched bytes through as they are, which is safe for any
 * ASCII-compatible encoding; only two decisions depend on the charset: whether
 * the page may be rewritten at all, and whether non-ASCII URLs can be understood.
 */

/** WHATWG Encoding labels of UTF-8. */
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8']);

/**
 * Encodings in which `<` or `"` bytes can occur inside characters: a byte-level
 * rewriter could cut a character in two, so such pages pass through untouched.
 */
const ASCII_INCOMPATIBLE = /^(utf-?16(le|be)?|ucs-2|csunicode|iso-10646-ucs-2|unicode(fffe|feff)?|iso-2022-(jp|kr|cn)(-ext)?|csiso2022(jp|kr)|hz-gb-2312|utf-?32(le|be)?|utf-7)$/;

export function isUtf8Label(label: string | undefined): boolean {
  return label !== undefined && UTF8_LABELS.has(label);
}

export function isAsciiCompatibleLabel(label: string | undefined): boolean {
  return label === undefined || !ASCII_INCOMPATIBLE.test(label);
}

export type Bom = 'utf-8' | 'utf-16le' | 'utf-16be';

/** Needs at least 3 bytes to answer for UTF-8 (fewer is fine at end of input). */
export function sniffBom(bytes: Uint8Array): Bom | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}

/** The `charset=` parameter of a Content-Type value (header or `<meta http-equiv>`). */
export function charsetFromContentType(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const match = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(value);
  return match ? (match[2] as string).toLowerCase() : undefined;
}
