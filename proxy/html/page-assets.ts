import { MAX_CONFIG_ASSETS, imageDimensionsOf, type ConfigAsset } from '../../protocol/client-config.js';

/** Pages remembered (least recently rewritten forgotten first). */
export const MAX_REMEMBERED_PAGES = 2_000;

/** What the media index knows of one asset id (undefined: not indexed yet). */
export type DescribeAsset = (id: string) => { sha256?: string; size?: number; contentType?: string; width?: number; height?: number; p2p: boolean } | undefined;

/**
 * Which assets each page showed the last time it was rewritten. The page's
 * config is written before its body streams through, so the manifest facts a
 * page's config carries are those of the assets its previous rewrite tagged —
 * for a page whose media do not change, all of them.
 */
export class PageAssets {
  private readonly pages = new Map<string, Map<string, string>>();

  /** The injector tagged asset `id` (absolute `url`) on `page` (path and query). */
  record(page: string, id: string, url: string): void {
    let assets = this.pages.get(page);
    if (!assets) {
      if (this.pages.size >= MAX_REMEMBERED_PAGES) this.pages.delete(this.pages.keys().next().value as string);
      assets = new Map();
      this.pages.set(page, assets);
    }
    if (assets.size < MAX_CONFIG_ASSETS * 2 && !assets.has(id)) {
      const parsed = new URL(url);
      assets.set(id, parsed.pathname + parsed.search);
    }
  }

  /** Manifest facts for `page`'s assets known to the index, in document order, bounded. */
  known(page: string, describe: DescribeAsset): ConfigAsset[] {
    const assets = this.pages.get(page);
    if (!assets) return [];
    // This rewrite records the page's assets anew (most recently used last: a busy page is not
    // the first one forgotten), so media the page no longer shows drop out of its next config.
    this.pages.delete(page);
    this.pages.set(page, new Map());
    const out: ConfigAsset[] = [];
    for (const [id, url] of assets) {
      if (out.length >= MAX_CONFIG_ASSETS) break;
      const record = describe(id);
      // Images only: video and audio need the manifest's infohash, which the config does not carry.
      if (!record?.p2p || !record.sha256 || record.size === undefined || !record.contentType?.startsWith('image/')) continue;
      out.push({
        url, id, sha256: record.sha256, size: record.size, type: record.contentType.slice(0, 128),
        // The box a parked image without width/height attributes holds before its bytes arrive.
        ...imageDimensionsOf(record.width, record.height),
      });
    }
    return out;
  }
}
