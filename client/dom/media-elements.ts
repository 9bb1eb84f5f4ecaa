import { ATTR } from '../../protocol/client-config.js';
import { parseAssetTag, type AssetTag, type MediaKind } from '../../protocol/media.js';

export interface ImageChoice {
  /** Absolute URL the browser would have loaded. */
  url: string;
  /** Its srcset descriptor (`960w`, `2x`), kept so intrinsic size and layout stay the same. */
  descriptor?: string;
  /** The `<source>` of a `<picture>` that won, if any. */
  source?: HTMLSourceElement;
}

const MOVED: readonly [string, string][] = [
  [ATTR.srcset, 'srcset'],
  [ATTR.src, 'src'],
  [ATTR.poster, 'poster'],
];

/** The injector's `data-p2p` tag of the element (id, kind, mode), or undefined when absent or malformed. */
export function assetTagOf(el: Element): AssetTag | undefined {
  const value = el.getAttribute(ATTR.tag);
  if (value === null) return undefined;
  try {
    return parseAssetTag(value);
  } catch {
    return undefined;
  }
}

export function kindOf(el: Element): MediaKind | undefined {
  const declared = assetTagOf(el)?.kind;
  if (declared !== undefined) return declared;
  const tag = el.tagName;
  if (tag === 'IMG') return 'image';
  if (tag === 'VIDEO') return 'video';
  if (tag === 'AUDIO') return 'audio';
  return undefined;
}

/** The element plus the `<source>` elements that belong to it (picture siblings, media children). */
export function relatedSources(el: Element): HTMLSourceElement[] {
  const parent = el.tagName === 'IMG' && el.parentElement?.tagName === 'PICTURE' ? el.parentElement : el;
  return [...parent.children].filter((c): c is HTMLSourceElement => c.tagName === 'SOURCE');
}

/**
 * Puts every moved attribute back so the browser loads the element over HTTP
 * as if PeerConnect were not there. Idempotent; returns true if anything moved.
 */
export function releaseToHttp(el: Element): boolean {
  let moved = false;
  // Sources first: an <img> re-runs selection when its src changes, and must see them.
  for (const node of [...relatedSources(el), el]) {
    for (const [from, to] of MOVED) {
      const value = node.getAttribute(from);
      if (value === null) continue;
      node.removeAttribute(from);
      if (!node.hasAttribute(to)) node.setAttribute(to, value);
      moved = true;
    }
  }
  if (moved && (el.tagName === 'VIDEO' || el.tagName === 'AUDIO')) (el as HTMLMediaElement).load();
  return moved;
}

/** True when the element's real URL is parked in data- attributes (it waits for peers). */
export function isParked(el: Element): boolean {
  return [el, ...relatedSources(el)].some((n) => n.hasAttribute(ATTR.src) || n.hasAttribute(ATTR.srcset));
}

function attr(el: Element, parked: string, live: string): string | null {
  return el.getAttribute(parked) ?? el.getAttribute(live);
}

/** Which URL the browser would pick for this `<img>` (picture sources, srcset, sizes, DPR). */
export function chooseImage(img: HTMLImageElement, win: Window): ImageChoice | undefined {
  const base = img.ownerDocument.baseURI;
  if (img.parentElement?.tagName === 'PICTURE') {
    for (const source of relatedSources(img)) {
      const media = source.getAttribute('media');
      if (media && !win.matchMedia(media).matches) continue;
      const type = source.getAttribute('type');
      if (type && !/^image\/(png|jpeg|gif|webp|avif|svg\+xml)$/i.test(type)) continue;
      const srcset = attr(source, ATTR.srcset, 'srcset');
      if (!srcset) continue;
      const picked = pickCandidate(srcset, source.getAttribute('sizes') ?? img.getAttribute('sizes'), win);
      if (picked) return { url: new URL(picked.url, base).href, descriptor: picked.descriptor, source };
    }
  }
  const srcset = attr(img, ATTR.srcset, 'srcset');
  const picked = srcset ? pickCandidate(srcset, img.getAttribute('sizes'), win) : undefined;
  if (picked) return { url: new URL(picked.url, base).href, descriptor: picked.descriptor };
  const src = attr(img, ATTR.src, 'src');
  return src ? { url: new URL(src, base).href } : undefined;
}

interface Candidate { url: string; descriptor: string; w?: number; x: number }

/** Simplified HTML srcset selection: good enough to agree with Chromium on common markup. */
export function pickCandidate(srcset: string, sizes: string | null, win: Window): { url: string; descriptor: string } | undefined {
  const candidates: Candidate[] = [];
  for (const part of srcset.split(/,\s+/)) {
    const [url, descriptor] = part.trim().split(/\s+/);
    if (!url) continue;
    if (descriptor?.endsWith('w')) candidates.push({ url, descriptor, w: Number.parseFloat(descriptor), x: 0 });
    else candidates.push({ url, descriptor: descriptor ?? '1x', x: descriptor?.endsWith('x') ? Number.parseFloat(descriptor) : 1 });
  }
  if (candidates.length === 0) return undefined;
  const dpr = win.devicePixelRatio || 1;
  const slot = slotWidth(sizes, win);
  for (const c of candidates) if (c.w !== undefined) c.x = c.w / slot;
  candidates.sort((a, b) => a.x - b.x);
  const best = candidates.find((c) => c.x >= dpr) ?? candidates[candidates.length - 1];
  return best && { url: best.url, descriptor: best.descriptor };
}

function slotWidth(sizes: string | null, win: Window): number {
  const vw = win.innerWidth || 1;
  for (const entry of (sizes ?? '100vw').split(',')) {
    const match = /^\s*(\(.*\))?\s*([\d.]+)(px|vw)\s*$/.exec(entry);
    if (!match) continue;
    if (match[1] && !win.matchMedia(match[1]).matches) continue;
    const value = Number.parseFloat(match[2] as string);
    return Math.max(1, match[3] === 'vw' ? (value * vw) / 100 : value);
  }
  return vw;
}

/**
 * Paints verified bytes: the chosen `<source>` and the `<img>` both point at the
 * blob URL, so whatever the browser re-selects it shows these bytes. alt, sizes,
 * width/height and classes are left as they are.
 */
export function applyImageUrl(img: HTMLImageElement, choice: ImageChoice, blobUrl: string): void {
  // Same descriptor as the original candidate, so `sizes` gives the same intrinsic size.
  const candidate = choice.descriptor ? `${blobUrl} ${choice.descriptor}` : blobUrl;
  if (choice.source) {
    choice.source.removeAttribute(ATTR.srcset);
    choice.source.setAttribute('srcset', candidate);
  }
  const hadSrcset = img.hasAttribute(ATTR.srcset) || img.hasAttribute('srcset');
  img.removeAttribute(ATTR.srcset);
  img.removeAttribute(ATTR.src);
  if (hadSrcset) img.setAttribute('srcset', choice.source ? blobUrl : candidate);
  img.setAttribute('src', blobUrl);
}

/** Resolves when the image has decoded (or failed); bounded by the caller's deadline. */
export function imagePainted(img: HTMLImageElement): Promise<boolean> {
  if (img.complete && img.naturalWidth > 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      img.removeEventListener('load', onLoad);
      img.removeEventListener('error', onError);
      resolve(ok);
    };
    const onLoad = (): void => done(true);
    const onError = (): void => done(false);
    img.addEventListener('load', onLoad);
    img.addEventListener('error', onError);
  });
}

/** The media element's original URL (parked or live), on itself or its first `<source>`. */
export function mediaUrl(el: HTMLMediaElement): string | undefined {
  const own = attr(el, ATTR.src, 'src');
  const url = own ?? relatedSources(el).map((s) => attr(s, ATTR.src, 'src')).find((s) => s);
  return url ? new URL(url, el.ownerDocument.baseURI).href : undefined;
}
