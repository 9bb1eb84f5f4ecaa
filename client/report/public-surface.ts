import type { AssetRecord, DebugSurface } from './reporter.js';

/**
 * Who a page talks to is nobody else's business: any script on the page can
 * read `window.__peerconnect`, so by default it shows counts and states only —
 * no peer ids (this page's, its sources', banned ones) and no holdings. The
 * visitor's (or a developer's) switch `localStorage['peerconnect:debug'] = '1'`
 * exposes the whole surface.
 */
export const DEBUG_STORAGE_KEY = 'peerconnect:debug';

export type PublicAssetRecord = Omit<AssetRecord, 'peer'>;
export type PublicSurface = Omit<DebugSurface, 'peerId' | 'banned' | 'held' | 'assets'> & { assets: Record<string, PublicAssetRecord> };

export function debugSurfaceOn(win: Window): boolean {
  try {
    return win.localStorage?.getItem(DEBUG_STORAGE_KEY) === '1';
  } catch {
    // storage blocked: no debugging surface
    return false;
  }
}

/** A live, read-only view of `surface` without peer ids or holdings. */
export function publicSurface(s: DebugSurface): PublicSurface {
  return Object.freeze({
    get version() { return s.version; },
    get state() { return s.state; },
    get reason() { return s.reason; },
    get bytes() { return { ...s.bytes }; },
    get uploadedBytes() { return s.uploadedBytes; },
    get fallbacks() { return { ...s.fallbacks }; },
    get blobs() { return { ...s.blobs }; },
    get media() { return { ...s.media }; },
    get reportsSent() { return s.reportsSent; },
    get assets() {
      const out: Record<string, PublicAssetRecord> = {};
      for (const [id, { peer: _peer, ...record }] of Object.entries(s.assets)) out[id] = record;
      return out;
    },
  });
}
