import { ATTR } from '../../protocol/client-config.js';
import { chooseImage } from '../dom/media-elements.js';
import type { ManifestClient } from './manifest-client.js';

/**
 * A parked image has no `src`, so the browser lays it out as its alt text (an
 * inline box with no size): when its bytes arrive it grows and pushes the page
 * down, a layout shift the same page over HTTP never has. Until then it gets the
 * box its width/height attributes promise (the ratio the browser itself would
 * reserve for a loading image; the proxy writes them, marked ATTR.size, for a
 * plain-`src` image that had none), or else the ratio of its intrinsic size from
 * the page config (a srcset candidate, which its descriptor scales: the page's
 * CSS gives the width); painted, it is handed back to the page's CSS.
 */
const reserved = new WeakMap<HTMLImageElement, { display: boolean; ratio: boolean; written: boolean }>();

/** The intrinsic size of the URL the browser would pick for `img`, when the page config carries it. */
export function intrinsicSizeOf(img: HTMLImageElement, win: Window, manifest: Pick<ManifestClient, 'dimensions'>): { width: number; height: number } | undefined {
  const choice = chooseImage(img, win);
  return choice && manifest.dimensions(choice.url);
}

/** Reserves the painted box of a parked image: its width and height attributes' ratio, else `intrinsic`'s; idempotent. */
export function reserveBox(img: HTMLImageElement, intrinsic?: { width: number; height: number }): void {
  if (reserved.has(img)) return;
  const declared = { width: Number(img.getAttribute('width')), height: Number(img.getAttribute('height')) };
  const attrsMissing = !img.hasAttribute('width') && !img.hasAttribute('height');
  const size = declared.width > 0 && declared.height > 0 ? declared : attrsMissing ? intrinsic : undefined;
  if (!size) return;
  const style = img.style;
  const ratio = style.aspectRatio === '';
  if (ratio) style.aspectRatio = `${size.width} / ${size.height}`;
  // aspect-ratio does not apply to inline boxes: alt text renders inline, a replaced image does not.
  const display = style.display === '' && (img.ownerDocument.defaultView?.getComputedStyle(img).display ?? '') === 'inline';
  // overflow: hidden puts an inline-block's baseline at its bottom edge, where an image's is.
  if (display) {
    style.display = 'inline-block';
    style.overflow = 'hidden';
  }
  reserved.set(img, { display, ratio, written: img.hasAttribute(ATTR.size) });
}

/** The image painted (or loads by itself again): its own styles and attributes only, as over HTTP. */
export function releaseBox(img: HTMLImageElement): void {
  const held = reserved.get(img);
  if (!held) return;
  reserved.delete(img);
  if (held.ratio) img.style.removeProperty('aspect-ratio');
  if (held.written) {
    img.removeAttribute('width');
    img.removeAttribute('height');
    img.removeAttribute(ATTR.size);
  }
  if (held.display) {
    img.style.removeProperty('display');
    img.style.removeProperty('overflow');
  }
  if (img.getAttribute('style') === '') img.removeAttribute('style');
}
