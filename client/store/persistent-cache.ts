/**
 * Verified assets kept in the Cache API across page views of this site, so a
 * visitor who moves to another page still serves what it loaded before. Only
 * in secure contexts (where the Cache API exists); bounded in bytes; every
 * entry is re-verified against the manifest before it is announced again.
 */
export const PERSIST_CACHE_NAME = 'peerconnect-assets-v1';
export const PERSIST_MAX_BYTES = 32 * 1024 * 1024;

export interface PersistedAsset {
  url: string;
  bytes: Uint8Array;
  type: string;
}

export class PersistentCache {
  private readonly cache: Promise<Cache | undefined>;

  constructor(win: Window) {
    const storage = win.isSecureContext ? win.caches : undefined;
    this.cache = storage ? storage.open(PERSIST_CACHE_NAME).catch(() => undefined) : Promise.resolve(undefined);
  }

  async put(asset: PersistedAsset): Promise<void> {
    const cache = await this.cache;
    if (!cache || asset.bytes.byteLength > PERSIST_MAX_BYTES) return;
    const headers = { 'content-type': asset.type || 'application/octet-stream', 'content-length': String(asset.bytes.byteLength) };
    await cache.put(asset.url, new Response(asset.bytes as Uint8Array<ArrayBuffer>, { headers })).catch(() => undefined);
  }

  async delete(url: string): Promise<void> {
    const cache = await this.cache;
    await cache?.delete(url).catch(() => false);
  }

  /** Everything kept, newest first, up to PERSIST_MAX_BYTES; older entries past the bound are dropped. */
  async restore(): Promise<PersistedAsset[]> {
    const cache = await this.cache;
    if (!cache) return [];
    const out: PersistedAsset[] = [];
    let total = 0;
    try {
      const requests = [...(await cache.keys())].reverse();
      for (const request of requests) {
        const response = await cache.match(request);
        const bytes = response ? new Uint8Array(await response.arrayBuffer()) : undefined;
        if (!bytes || total + bytes.byteLength > PERSIST_MAX_BYTES) {
          await cache.delete(request);
          continue;
        }
        total += bytes.byteLength;
        out.push({ url: request.url, bytes, type: response?.headers.get('content-type') ?? '' });
      }
    } catch {
      // storage errors only cost the head start
    }
    return out;
  }
}
