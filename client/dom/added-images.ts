import { ATTR } from '../../protocol/client-config.js';
import type { ManifestEntry } from '../../protocol/manifest.js';
import { chooseImage, isParked, relatedSources, releaseToHttp } from './media-elements.js';
import { formatAssetTag } from '../../protocol/media.js';

/**
 * Formats that stay on HTTP. The proxy's P2P_EXCLUDE_FORMATS is not in the page's
 * config block, so this mirrors its default.
 */
export const EXCLUDED_FORMAT = /\.gif$/i;
/**
 * Browser holders the manifest must report before an added image waits for
 * peers. The proxy's threshold is not in the config block; with no holder at
 * all a peer attempt could only end in a fallback.
 */
export const MIN_HOLDERS = 1;

export interface AddedImageHandlers {
  /** Whether a parked image could be served by peers now (signaling up, P2P allowed, blob images allowed). */
  canPark(): boolean;
  /** Manifest lookup (batched, cached); never rejects. */
  lookup(url: string): Promise<ManifestEntry>;
  /** A parked, eligible image: load it from peers when it nears the viewport. */
  peer(img: HTMLImageElement): void;
  /** An image loading over HTTP: verify and hold it once loaded. */
  http(img: HTMLImageElement): void;
}

/**
 * Images that scripts add after load (single-page apps, infinite scroll,
 * carousels): the server never saw them, so they are untagged. An element
 * added with a live `src` is already being fetched by the browser; parking it
 * then would cost a second fetch, so it loads over HTTP and this visitor
 * becomes a holder. Only `loading="lazy"` images not yet fetched are parked
 * (the browser defers those to layout, after this observer has run), looked
 * up in the manifest, and handed to peers or released. See client/README.md.
 * Returns a function that stops watching.
 */
export function watchAddedImages(win: Window, root: Node, handlers: AddedImageHandlers): () => void {
  /** Each handled image → the URL it was handled for (tells our own attribute changes from the page's). */
  const handled = new WeakMap<HTMLImageElement, string>();

  const consider = (img: HTMLImageElement): void => {
    if (img.closest(`[${ATTR.skip}]`)) return;
    // Tagged by the server: the client's start-up scan owns it.
    if (img.hasAttribute(ATTR.tag) && !handled.has(img)) return;
    const url = sameOriginUrl(img, win);
    // Our own changes (parked, painted from a blob, released) keep the handled URL or leave http(s).
    if (!url || handled.get(img) === url) return;
    if (handled.has(img)) {
      // The page re-pointed an element we handled: drop what we parked, its new URL wins
      // (and a peer load still under way sees the element no longer parked: it paints nothing).
      for (const node of [img, ...relatedSources(img)]) {
        node.removeAttribute(ATTR.src);
        node.removeAttribute(ATTR.srcset);
      }
    }
    handled.set(img, url);
    if (img.loading !== 'lazy' || img.complete || !handlers.canPark()) return handlers.http(img);
    park(img);
    const decide = (entry: ManifestEntry): void => {
      // The page pointed the element elsewhere meanwhile: that URL was handled on its own.
      if (handled.get(img) !== url || !isParked(img)) return;
      if (entry.id && entry.sha256 && entry.p2p !== false && Number(entry.holders) >= MIN_HOLDERS && handlers.canPark()) {
        img.setAttribute(ATTR.tag, formatAssetTag(entry.id, 'image', 'peer'));
        return handlers.peer(img);
      }
      releaseToHttp(img);
      handlers.http(img);
    };
    // The manifest client never rejects: a failed lookup is an entry without a hash.
    void handlers.lookup(url).then(decide);
  };

  const visit = (el: Element): void => {
    if (el.tagName === 'IMG') consider(el as HTMLImageElement);
    // A <source> stands for its <picture>'s image.
    else if (el.tagName === 'SOURCE') el.parentElement?.querySelectorAll('img').forEach(consider);
    else el.querySelectorAll('img').forEach(consider);
  };

  const observer = new MutationObserver((records) => {
    // An exception here (a malformed srcset) leaves the rest of this batch alone: those images load over HTTP.
    for (const record of records) {
      if (record.type === 'attributes') visit(record.target as Element);
      else for (const node of record.addedNodes) if (node.nodeType === 1) visit(node as Element);
    }
  });
  // An attributeFilter implies attributes: true.
  observer.observe(root, { childList: true, subtree: true, attributeFilter: ['src', 'srcset'] });
  return () => observer.disconnect();
}

/** The URL the browser would load, when it is on this page's origin (not a blob:) and not an excluded format. */
function sameOriginUrl(img: HTMLImageElement, win: Window): string | undefined {
  const choice = chooseImage(img, win);
  if (!choice) return undefined;
  const url = new URL(choice.url);
  url.hash = '';
  // blob: URLs (what we paint) carry the page's origin too.
  return url.protocol !== 'blob:' && url.origin === win.location.origin && !EXCLUDED_FORMAT.test(url.pathname) ? url.href : undefined;
}

/** Moves live `src`/`srcset` (the image's and its picture's sources') to the data attributes releaseToHttp restores. */
export function park(img: HTMLImageElement): void {
  for (const node of [...relatedSources(img), img]) {
    for (const [live, parked] of [['srcset', ATTR.srcset], ['src', ATTR.src]]) {
      const value = node.getAttribute(live as string);
      if (value === null) continue;
      node.setAttribute(parked as string, value);
      node.removeAttribute(live as string);
    }
  }
}
