import { decodeAttributeValue } from './entities.js';
import type { MediaKind } from '../protocol/media.js';
import type { ResolvedInjectorOptions } from './options.js';

export interface EligibleUrl {
  /** Absolute URL as the browser resolves it. */
  url: string;
  id: string;
}

/** Longer attribute values are never tagged (and never moved). */
export const URL_MAX_LENGTH = 8 * 1024;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Decides whether one raw attribute value names a same-origin media file the
 * injector may tag, and with which id. Holds the document state that changes
 * the answer as the page streams by: `<base href>` and the detected charset.
 */
export class UrlJudge {
  private base: URL;
  private baseSet = false;
  /** True once the page is known to be UTF-8 (header, BOM or `<meta charset>`). */
  utf8 = false;

  constructor(private readonly options: ResolvedInjectorOptions) {
    this.base = options.pageUrl;
  }

  /** The first `<base href>` wins, resolved against the page URL (as in browsers). */
  setBase(raw: string): void {
    if (this.baseSet) return;
    this.baseSet = true;
    const decoded = this.decode(raw);
    if (decoded === undefined) return;
    try {
      const base = new URL(decoded, this.options.pageUrl);
      if (base.protocol === 'http:' || base.protocol === 'https:') this.base = base;
    } catch {
      // An invalid base href is ignored by browsers too.
    }
  }

  kindAllowed(kind: MediaKind): boolean {
    return this.options.mediaTypes.has(kind);
  }

  /** The eligible URL and id, or undefined to leave the attribute alone. */
  judge(raw: string, kind: MediaKind): EligibleUrl | undefined {
    if (!this.options.mediaTypes.has(kind)) return undefined;
    const decoded = this.decode(raw);
    // An empty src is not a request for the page itself: browsers fire an error and fetch nothing.
    if (decoded === undefined || decoded.trim() === '') return undefined;
    let url: URL;
    try {
      url = new URL(decoded, this.base);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (!this.options.sameOriginHosts.has(url.host)) return undefined;
    const path = url.pathname;
    const dot = path.lastIndexOf('.');
    if (dot > path.lastIndexOf('/') && this.options.excludeFormats.has(path.slice(dot + 1).toLowerCase())) {
      return undefined;
    }
    url.hash = '';
    let id: string;
    try {
      id = this.options.assetId(url.href);
    } catch {
      return undefined;
    }
    return { url: url.href, id };
  }

  /**
   * Raw value → what the browser sees. lol-html decodes input as UTF-8, so on a
   * page not known to be UTF-8 any non-ASCII value would be misread (and
   * U+FFFD means bytes were lost): those are declined.
   */
  private decode(raw: string): string | undefined {
    if (raw.length > URL_MAX_LENGTH || raw.includes('\ufffd')) return undefined;
    if (!this.utf8 && NON_ASCII.test(raw)) return undefined;
    const decoded = decodeAttributeValue(raw);
    if (decoded === undefined || decoded.includes('\ufffd')) return undefined;
    if (!this.utf8 && NON_ASCII.test(decoded)) return undefined;
    return decoded;
  }
}

/** True when a raw value can be moved to another attribute without changing its bytes. */
export function movable(raw: string): boolean {
  return raw.length <= URL_MAX_LENGTH && !raw.includes('\ufffd');
}
