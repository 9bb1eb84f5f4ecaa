import type { MediaKind } from '../../protocol/media.js';
import type { EdgeCacheMode } from '../../core/config/options.js';

const EXTENSIONS: Record<MediaKind | 'static', readonly string[]> = {
  image: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'svg', 'ico', 'bmp', 'jxl'],
  video: ['mp4', 'm4v', 'webm', 'ogv', 'mov'],
  audio: ['mp3', 'm4a', 'aac', 'oga', 'ogg', 'opus', 'wav', 'flac'],
  static: ['css', 'js', 'mjs', 'woff', 'woff2', 'ttf', 'otf', 'eot'],
};

const CONTENT_TYPES: Record<MediaKind | 'static', RegExp> = {
  image: /^image\//,
  video: /^video\//,
  audio: /^audio\//,
  static: /^(text\/css|text\/javascript|application\/(x-)?javascript|font\/|application\/(x-)?font-|application\/vnd\.ms-fontobject)/,
};

/**
 * Which requests the edge cache looks at (by path extension, before the origin
 * is asked, so HTML never takes the cache path and always reaches the injector)
 * and which responses it may store (by Content-Type, so a `.png` URL answering
 * HTML is passed through, not kept).
 */
export class CacheScope {
  private readonly kinds: readonly (MediaKind | 'static')[];
  private readonly extensions: ReadonlySet<string>;

  constructor(mode: EdgeCacheMode, mediaTypes: readonly MediaKind[]) {
    this.kinds = mode === 'off' ? [] : mode === 'static' ? [...mediaTypes, 'static'] : [...mediaTypes];
    this.extensions = new Set(this.kinds.flatMap((kind) => EXTENSIONS[kind]));
  }

  get enabled(): boolean {
    return this.kinds.length > 0;
  }

  /** Whether a request path (no query) names something this cache keeps. */
  coversPath(pathname: string): boolean {
    const dot = pathname.lastIndexOf('.');
    if (dot < 0 || dot < pathname.lastIndexOf('/')) return false;
    return this.extensions.has(pathname.slice(dot + 1).toLowerCase());
  }

  /** Whether a response of this Content-Type may be stored. */
  coversType(contentType: string | undefined): boolean {
    if (contentType === undefined) return false;
    const type = contentType.split(';')[0]!.trim().toLowerCase();
    return this.kinds.some((kind) => CONTENT_TYPES[kind].test(type));
  }
}
