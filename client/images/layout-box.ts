import { ATTR } from '../../protocol/client-config.js';
import { chooseImage } from '../dom/media-elements.js';
import type { ManifestClient } from './manifest-client.js';

/**
 * A parked image has no `src`, so the browser lays it out as its alt text (an
 * inline box with no size): when its bytes arrive it grows and pushes the page
 * down, a layout shift the same page over HTTP never has. Until then it gets the
 * box its width/height attributes promise (the ratio the browser itself would
 * reserve for a loading image), or, without them, the one its intrinsic size
 * from the page config gives; painted, it is handed back to the page's CSS.
 */
const reserved = new WeakMap<HTMLImageElement, { display: boolean; ratio: boolean; attributes: boolean }>();

/** An image's intrinsic size as the page config states it. */
export interface IntrinsicSize {
  width: number;
  height: number;
  /**
   * True when the browser will show it at one CSS pixel per image pixel (a
   * plain `src`, or a `1x` candidate); srcset width or density descriptors
   * scale it, so then only its ratio is known.
   */
  natural: boolean;
}

/** The intrinsic size of the URL the browser would pick for `img`, when the page config carries it. */
export function intrinsicSizeOf(img: HTMLImageElement, win: Window, manifest: Pick<ManifestClient, 'dimensions'>): IntrinsicSize | undefined {
  const choice = chooseImage(img, win);
  const size = choice && manifest.dimensions(choice.url);
  if (!size) return undefined;
  return { ...size, natural: choice.descriptor === undefined || choice.descriptor === '1x' };
}

/**
 * Reserves the painted box of a parked image: its width and height attributes'
 * ratio, else `intrinsic`'s; idempotent. With no attributes and an image shown
 * at its natural size, `intrinsic` also becomes its width/height attributes
 * until it paints: attributes map to the lowest-priority size hints, so any
 * size the page's CSS gives still wins, exactly as for the loaded image.
 */
export function reserveBox(img: HTMLImageElement, intrinsic?: IntrinsicSize): void {
  if (reserved.has(img)) return;
  const declared = { width: Number(img.getAttribute('width')), height: Number(img.getAttribute('height')) };
  // The proxy already wrote the intrinsic size as attributes: they go once the image paints.
  const written = img.hasAttribute(ATTR.size);
  const fromAttributes = declared.width > 0 && declared.height > 0 && !written;
  const attrsMissing = !img.hasAttribute('width') && !img.hasAttribute('height');
  const size = fromAttributes || written ? declared : attrsMissing ? intrinsic : undefined;
  if (!size || !(size.width > 0 && size.height > 0)) return;
  const style = img.style;
  const ratio = style.aspectRatio === '';
  if (ratio) style.aspectRatio = `${size.width} / ${size.height}`;
  const attributes = written || (!fromAttributes && intrinsic?.natural === true);
  if (attributes && !written) {
    img.setAttribute('width', String(size.width));
    img.setAttribute('height', String(size.height));
  }
  // aspect-ratio does not apply to inline boxes: alt text renders inline, a replaced image does not.
  const display = style.display === '' && (img.ownerDocument.defaultView?.getComputedStyle(img).display ?? '') === 'inline';
  // overflow: hidden puts an inline-block's baseline at its bottom edge, where an image's is.
  if (display) {
    style.display = 'inline-block';
    style.overflow = 'hidden';
  }
  reserved.set(img, { display, ratio, attributes });
}

/** The image painted (or loads by itself again): its own styles and attributes only, as over HTTP. */
export function releaseBox(img: HTMLImageElement): void {
  const held = reserved.get(img);
  if (!held) return;
  reserved.delete(img);
  if (held.ratio) img.style.removeProperty('aspect-ratio');
  if (held.attributes) {
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
