/**
 * The candidate URLs of a `srcset` value, split as the HTML spec's "parse a
 * srcset attribute" algorithm does: a URL is a run of non-whitespace (so it may
 * contain commas); trailing commas end it; descriptors run to the next comma
 * outside parentheses. Descriptors themselves are not validated — every URL the
 * browser might pick is returned, which is what eligibility checks need.
 */
const WHITESPACE = new Set([' ', '\t', '\n', '\f', '\r']);
/** A srcset with more candidates than this is left untouched by the caller. */
export const SRCSET_MAX_CANDIDATES = 64;

export function srcsetUrls(value: string): string[] {
  const urls: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (WHITESPACE.has(value[i] as string) || value[i] === ',')) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !WHITESPACE.has(value[i] as string)) i++;
    let url = value.slice(start, i);
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      // Skip descriptors up to a comma that is not inside parentheses.
      let inParens = false;
      while (i < n) {
        const c = value[i] as string;
        if (inParens) {
          if (c === ')') inParens = false;
        } else if (c === '(') {
          inParens = true;
        } else if (c === ',') {
          i++;
          break;
        }
        i++;
      }
    }
    if (url !== '') urls.push(url);
    if (urls.length > SRCSET_MAX_CANDIDATES) break;
  }
  return urls;
}
