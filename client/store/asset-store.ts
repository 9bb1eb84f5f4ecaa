/** Bytes this page keeps to serve to peers; oldest dropped first past the bound. */
export const ASSET_STORE_MAX_BYTES = 64 * 1024 * 1024;

export interface HeldAsset {
  id: string;
  url: string;
  bytes: Uint8Array;
  type: string;
}

/**
 * Verified assets held by this page, bounded by total bytes (Map insertion
 * order as LRU). `onEvict` lets the owner tell signaling it no longer holds them.
 */
export class AssetStore {
  private readonly assets = new Map<string, HeldAsset>();
  private bytes = 0;

  constructor(private readonly onEvict: (ids: string[], urls: string[]) => void, private readonly maxBytes = ASSET_STORE_MAX_BYTES) {}

  get totalBytes(): number {
    return this.bytes;
  }

  get ids(): string[] {
    return [...this.assets.keys()];
  }

  has(id: string): boolean {
    return this.assets.has(id);
  }

  get(id: string): HeldAsset | undefined {
    const asset = this.assets.get(id);
    if (asset) {
      this.assets.delete(id);
      this.assets.set(id, asset);
    }
    return asset;
  }

  /** Returns false when the asset alone exceeds the bound. */
  put(asset: HeldAsset): boolean {
    if (asset.bytes.byteLength > this.maxBytes) return false;
    const previous = this.assets.get(asset.id);
    if (previous) {
      this.bytes -= previous.bytes.byteLength;
      this.assets.delete(asset.id);
    }
    this.assets.set(asset.id, asset);
    this.bytes += asset.bytes.byteLength;
    const evicted: string[] = [];
    const urls: string[] = [];
    for (const [id, held] of this.assets) {
      if (this.bytes <= this.maxBytes) break;
      this.assets.delete(id);
      this.bytes -= held.bytes.byteLength;
      evicted.push(id);
      urls.push(held.url);
    }
    if (evicted.length > 0) this.onEvict(evicted, urls);
    return true;
  }

  clear(): void {
    this.assets.clear();
    this.bytes = 0;
  }
}
