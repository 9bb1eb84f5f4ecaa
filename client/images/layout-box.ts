/**
 * A parked image has no `src`, so the browser lays it out as its alt text (an
 * inline box with no size): when its bytes arrive it grows and pushes the page
 * down, a layout shift the same page over HTTP never has. Until then it gets the
 * box its width/height attributes promise (the ratio the browser itself would
 * reserve for a loading image); painted, it is handed back to the page's CSS.
 */
const reserved = new WeakMap<HTMLImageElement, { display: boolean; ratio: boolean }>();

/** Reserves the painted box of a parked image that declares its width and height; idempotent. */
export function reserveBox(img: HTMLImageElement): void {
  if (reserved.has(img)) return;
  const width = Number(img.getAttribute('width'));
  const height = Number(img.getAttribute('height'));
  if (!(width > 0 && height > 0)) return;
  const style = img.style;
  const ratio = style.aspectRatio === '';
  if (ratio) style.aspectRatio = `${width} / ${height}`;
  // aspect-ratio does not apply to inline boxes: alt text renders inline, a replaced image does not.
  const display = style.display === '' && (img.ownerDocument.defaultView?.getComputedStyle(img).display ?? '') === 'inline';
  // overflow: hidden puts an inline-block's baseline at its bottom edge, where an image's is.
  if (display) {
    style.display = 'inline-block';
    style.overflow = 'hidden';
  }
  reserved.set(img, { display, ratio });
}

/** The image painted (or loads by itself again): its own styles only, as over HTTP. */
export function releaseBox(img: HTMLImageElement): void {
  const held = reserved.get(img);
  if (!held) return;
  reserved.delete(img);
  if (held.ratio) img.style.removeProperty('aspect-ratio');
  if (held.display) {
    img.style.removeProperty('display');
    img.style.removeProperty('overflow');
  }
  if (img.getAttribute('style') === '') img.removeAttribute('style');
}
