import { HTMLRewriter, type Element } from 'html-rewriter-wasm';
import { ATTR, imageDimensionsOf } from '../protocol/client-config.js';
import { charsetFromContentType, isUtf8Label } from './charset.js';
import { injectionMarkup } from './config-script.js';
import { formatAssetTag, type DeliveryMode, type MediaKind } from '../protocol/media.js';
import type { ResolvedInjectorOptions } from './options.js';
import { SRCSET_MAX_CANDIDATES, srcsetUrls } from './srcset.js';
import { movable, UrlJudge, type EligibleUrl } from './url-judge.js';

const HTML_NS = 'http://www.w3.org/1999/xhtml';
/** Nesting of picture/video/audio tracked for child `<source>`s; deeper is tag soup, left alone. */
const MEDIA_STACK_MAX = 32;

interface MediaParent {
  tag: 'picture' | 'video' | 'audio';
  /** Children are untouched (the parent carries data-p2p-skip or was tagged already). */
  skip: boolean;
  /** For a picture: the mode chosen by its first eligible element, shared by the rest. */
  mode: DeliveryMode | undefined;
}

/** What one document's rewrite did, for logs and tests. */
export interface InjectorStats {
  tagged: number;
  peer: number;
  injected: boolean;
  /** Handler errors swallowed (the element was left as it was). */
  errors: number;
}

/**
 * The lol-html side of the injector: one instance per document. Handlers are
 * kept lean because every call crosses the JS↔wasm boundary: a few attribute
 * reads per element, and nothing at all for elements that are not media.
 */
export class HtmlInjectorEngine {
  readonly stats: InjectorStats = { tagged: 0, peer: 0, injected: false, errors: 0 };
  private readonly rewriter: HTMLRewriter;
  private readonly judge: UrlJudge;
  private readonly markup: string;
  private readonly mutate: boolean;
  private templateDepth = 0;
  /** Set by the opt-out selectors for the img or source being handled; read and cleared by its handler. */
  private optedOut = false;
  private foreignDepth = 0;
  private imagesSeen = 0;
  private readonly mediaStack: MediaParent[] = [];
  /** The header charset wins over `<meta charset>` (as in browsers). */
  private charsetDecided: boolean;
  private freed = false;
  /**
   * Without a header or BOM charset, the browser finds `<meta charset>` by a
   * prescan of the first 1,024 bytes: markup injected before it could push it
   * out of reach. Then the injection waits for that meta (or `</head>`).
   */
  private readonly waitForMeta: boolean;
  /** Intrinsic sizes the config carries, by absolute URL (built on the first parked image that needs one). */
  private sizes: Map<string, { width: number; height: number }> | undefined;

  constructor(private readonly options: ResolvedInjectorOptions, sink: (chunk: Uint8Array) => void, bomUtf8: boolean) {
    this.rewriter = new HTMLRewriter(sink);
    this.judge = new UrlJudge(options);
    this.judge.utf8 = bomUtf8 || isUtf8Label(options.charset);
    this.charsetDecided = bomUtf8 || options.charset !== undefined;
    this.waitForMeta = !this.charsetDecided;
    this.markup = injectionMarkup(options.clientConfig, options.scriptSrc, options.nonce);
    this.mutate = !options.disabled;

    const guard = (fn: (el: Element) => void) => ({
      element: (el: Element): void => {
        try {
          fn(el);
        } catch {
          // Never break a page over one element: it stays as the origin sent it.
          this.stats.errors++;
        }
      },
    });
    this.rewriter
      .on('template', guard((el) => this.onTemplate(el)))
      .on('meta', guard((el) => this.onMeta(el)))
      .on('base', guard((el) => this.onBase(el)))
      .on('head', guard((el) => this.onHead(el)))
      .on('body', guard((el) => this.inject(el, 'prepend')))
      .on('picture', guard((el) => this.onMediaParent(el, 'picture')))
      .on('video', guard((el) => this.onMediaParent(el, 'video')))
      .on('audio', guard((el) => this.onMediaParent(el, 'audio')))
      .on('svg', guard((el) => this.onForeign(el)))
      .on('math', guard((el) => this.onForeign(el)))
      // Opt-outs are found by selectors inside wasm (cheaper than two attribute
      // reads from JS per image); these run before the img handler below.
      .on(`img[${ATTR.skip}]`, { element: () => { this.optedOut = true; } })
      .on(`img[${ATTR.tag}]`, { element: () => { this.optedOut = true; } })
      .on('img', guard((el) => this.onImg(el)))
      .on(`source[${ATTR.skip}]`, { element: () => { this.optedOut = true; } })
      .on(`source[${ATTR.tag}]`, { element: () => { this.optedOut = true; } })
      .on('source', guard((el) => this.onSource(el)))
      .onDocument({
        end: (end) => {
          if (this.stats.injected) return;
          this.stats.injected = true;
          if (this.mutate) end.append(this.markup, { html: true });
        },
      });
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.rewriter.write(chunk);
  }

  end(): Promise<void> {
    return this.rewriter.end();
  }

  /** Releases the wasm memory. Idempotent. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.rewriter.free();
  }

  /**
   * Elements in templates, in SVG/MathML, and inside <noscript> (raw text to
   * lol-html) are never touched. The namespace is asked only after an <svg> or
   * <math> opened and did not close (an HTML element such as <img> can break
   * out of foreign content, so the namespace, not the depth, decides).
   */
  private outOfScope(el: Element): boolean {
    return this.templateDepth > 0 || (this.foreignDepth > 0 && el.namespaceURI !== HTML_NS);
  }

  private onForeign(el: Element): void {
    try {
      el.onEndTag(() => {
        this.foreignDepth--;
      });
    } catch {
      // A self-closing <svg/> has no end tag and no content: nothing to track.
      return;
    }
    this.foreignDepth++;
  }

  private onTemplate(el: Element): void {
    this.templateDepth++;
    el.onEndTag(() => {
      this.templateDepth--;
    });
  }

  private onHead(el: Element): void {
    if (this.stats.injected || this.outOfScope(el)) return;
    if (!this.waitForMeta) return this.inject(el, 'prepend');
    el.onEndTag((end) => {
      if (this.stats.injected) return;
      this.stats.injected = true;
      if (this.mutate) end.before(this.markup, { html: true });
    });
  }

  private onMeta(el: Element): void {
    if (this.outOfScope(el)) return;
    // A <meta> CSP applies only to what follows it: inject before one if we have not yet.
    if (!this.stats.injected && el.getAttribute('http-equiv')?.toLowerCase() === 'content-security-policy') {
      this.inject(el, 'before');
    }
    if (!this.charsetDecided) {
      const charset = el.getAttribute('charset')
        ?? (el.getAttribute('http-equiv')?.toLowerCase() === 'content-type' ? charsetFromContentType(el.getAttribute('content') ?? undefined) : undefined);
      if (charset) {
        this.charsetDecided = true;
        // Browsers read a meta declaring UTF-16 as UTF-8.
        const label = charset.trim().toLowerCase();
        this.judge.utf8 = isUtf8Label(label) || /^utf-?16/.test(label);
        if (this.waitForMeta) this.inject(el, 'after');
      }
    }
  }

  private onBase(el: Element): void {
    if (this.outOfScope(el)) return;
    const href = el.getAttribute('href');
    if (href !== null) this.judge.setBase(href);
  }

  private inject(el: Element, where: 'prepend' | 'before' | 'after'): void {
    if (this.stats.injected || this.outOfScope(el)) return;
    this.stats.injected = true;
    if (!this.mutate) return;
    if (where === 'prepend') el.prepend(this.markup, { html: true });
    else if (where === 'before') el.before(this.markup, { html: true });
    else el.after(this.markup, { html: true });
  }

  private onMediaParent(el: Element, tag: MediaParent['tag']): void {
    if (this.outOfScope(el) || this.mediaStack.length >= MEDIA_STACK_MAX) return;
    const parent: MediaParent = { tag, skip: el.hasAttribute(ATTR.skip) || el.hasAttribute(ATTR.tag), mode: undefined };
    this.mediaStack.push(parent);
    el.onEndTag(() => {
      const index = this.mediaStack.lastIndexOf(parent);
      if (index >= 0) this.mediaStack.length = index;
    });
    if (tag === 'picture' || parent.skip) return;
    // The element itself is an asset when it has a src of its own.
    const src = el.getAttribute('src');
    if (src === null) return;
    const asset = this.judge.judge(src, tag);
    if (!asset) return;
    let mode = this.decide(asset, tag, false);
    const poster = tag === 'video' ? el.getAttribute('poster') : null;
    if (mode === 'peer' && (!movable(src) || (poster !== null && !movable(poster)))) mode = 'http';
    this.tag(el, asset, tag, mode);
    if (mode === 'peer') {
      this.move(el, 'src', ATTR.src, src);
      // The poster is an image the client paints; moved only when it is same-origin and of an allowed kind.
      if (poster !== null && this.judge.judge(poster, 'image')) this.move(el, 'poster', ATTR.poster, poster);
    }
  }

  private onImg(el: Element): void {
    const optedOut = this.optedOut;
    this.optedOut = false;
    if (this.outOfScope(el)) return;
    const index = this.imagesSeen++;
    if (!this.judge.kindAllowed('image')) return;
    const parent = this.mediaStack[this.mediaStack.length - 1];
    const picture = parent?.tag === 'picture' ? parent : undefined;
    if (picture?.skip) return;
    const src = el.getAttribute('src');
    const srcset = el.getAttribute('srcset');
    if (optedOut || (src === null && srcset === null)) return;
    const primary = src ?? (srcset === null ? undefined : srcsetUrls(srcset)[0]);
    if (primary === undefined) return;
    const asset = this.judge.judge(primary, 'image');
    if (!asset) return;
    const inFold = this.options.foldLoading && index < this.options.foldCount;
    let mode = picture?.mode ?? this.decide(asset, 'image', inFold);
    if (picture && picture.mode === undefined) picture.mode = mode;
    if (mode === 'peer' && !this.allMovable(src, srcset)) mode = 'http';
    this.tag(el, asset, 'image', mode);
    if (mode === 'peer') {
      if (src !== null) this.move(el, 'src', ATTR.src, src);
      if (srcset !== null) this.move(el, 'srcset', ATTR.srcset, srcset);
      if (!picture && srcset === null) this.holdSize(el, asset.url);
    }
  }

  /**
   * A parked image with neither width nor height would be laid out as its alt
   * text until the client paints it: the intrinsic size the config carries
   * becomes its width/height (size hints the page's CSS overrides, as it would
   * the loaded image's), marked so the client removes them once it paints.
   * Plain `src` only: a srcset candidate is scaled by its descriptor.
   */
  private holdSize(el: Element, url: string): void {
    if (!this.mutate || el.hasAttribute('width') || el.hasAttribute('height')) return;
    if (!this.sizes) {
      this.sizes = new Map();
      for (const a of this.options.clientConfig.assets ?? []) {
        const size = imageDimensionsOf(a.width, a.height);
        if (size.width !== undefined) this.sizes.set(new URL(a.url, this.options.pageUrl.origin).href, { width: size.width, height: size.height });
      }
    }
    const size = this.sizes.get(url);
    if (!size) return;
    el.setAttribute('width', String(size.width));
    el.setAttribute('height', String(size.height));
    el.setAttribute(ATTR.size, '');
  }

  private onSource(el: Element): void {
    const optedOut = this.optedOut;
    this.optedOut = false;
    if (optedOut || this.outOfScope(el)) return;
    const parent = this.mediaStack[this.mediaStack.length - 1];
    if (!parent || parent.skip) return;
    if (parent.tag === 'picture') {
      if (!this.judge.kindAllowed('image')) return;
      const srcset = el.getAttribute('srcset');
      if (srcset === null) return;
      const first = srcsetUrls(srcset)[0];
      const asset = first === undefined ? undefined : this.judge.judge(first, 'image');
      if (!asset) return;
      // The picture's <img> comes after its sources: it will be image number `imagesSeen`.
      const inFold = this.options.foldLoading && this.imagesSeen < this.options.foldCount;
      let mode = parent.mode ?? this.decide(asset, 'image', inFold);
      parent.mode ??= mode;
      if (mode === 'peer' && !this.allMovable(null, srcset)) mode = 'http';
      this.tag(el, asset, 'image', mode);
      if (mode === 'peer') this.move(el, 'srcset', ATTR.srcset, srcset);
      return;
    }
    const src = el.getAttribute('src');
    if (src === null) return;
    const asset = this.judge.judge(src, parent.tag);
    if (!asset) return;
    let mode = this.decide(asset, parent.tag, false);
    if (mode === 'peer' && !movable(src)) mode = 'http';
    this.tag(el, asset, parent.tag, mode);
    if (mode === 'peer') this.move(el, 'src', ATTR.src, src);
  }

  /** Peer only if every URL the browser might fetch is ours, so nothing moved is lost. */
  private allMovable(src: string | null, srcset: string | null): boolean {
    if (src !== null && !movable(src)) return false;
    if (srcset === null) return true;
    if (!movable(srcset)) return false;
    const urls = srcsetUrls(srcset);
    if (urls.length > SRCSET_MAX_CANDIDATES) return false;
    return urls.every((url) => this.judge.judge(url, 'image') !== undefined);
  }

  private decide(asset: EligibleUrl, kind: MediaKind, inFold: boolean): DeliveryMode {
    if (inFold) return 'http';
    try {
      return this.options.policy({ id: asset.id, url: asset.url, kind }) === 'peer' ? 'peer' : 'http';
    } catch {
      this.stats.errors++;
      return 'http';
    }
  }

  private tag(el: Element, asset: EligibleUrl, kind: MediaKind, mode: DeliveryMode): void {
    this.stats.tagged++;
    if (mode === 'peer') this.stats.peer++;
    if (!this.mutate) return;
    el.setAttribute(ATTR.tag, formatAssetTag(asset.id, kind, mode));
  }

  /**
   * Moves the raw value (entities and all, so the browser later decodes exactly
   * what it would have). `<img src=a src=b>` keeps `b` after one removal: loop.
   */
  private move(el: Element, from: string, to: string, raw: string): void {
    if (!this.mutate) return;
    el.setAttribute(to, raw);
    for (let i = 0; i < 64 && el.hasAttribute(from); i++) el.removeAttribute(from);
  }
}
