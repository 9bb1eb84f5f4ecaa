import type { DeclineReason } from '../../protocol/peer-wire.js';
import type { CachedBody } from '../cache/byte-cache.js';
import { assetIdFor } from '../../core/asset-id.js';
import type { MediaIndex } from '../index/media-index.js';
import { UrlRefusedError } from '../index/url-scope.js';

/** Largest asset the data-channel wire protocol carries (its u32 offsets and the client's buffer). */
export const MAX_PEER_ASSET_BYTES = 64 * 1024 * 1024;

export type AssetOpenResult = { body: CachedBody; sha256: string } | { decline: DeclineReason };

/**
 * What the headless peer may send: the asset named by a peer's request, after
 * checking that the URL is on this site and that its id matches, so a peer can
 * neither make the seeder fetch elsewhere nor get bytes under a wrong id.
 */
export class AssetSource {
  constructor(private readonly index: MediaIndex) {}

  async open(asset: string, url: string): Promise<AssetOpenResult> {
    let requested: URL;
    let upstream: URL;
    try {
      ({ requested, upstream } = this.index.scope.resolve(url));
    } catch (err) {
      if (err instanceof UrlRefusedError) return { decline: 'bad-request' };
      throw err;
    }
    if (assetIdFor(requested) !== asset && assetIdFor(upstream) !== asset) return { decline: 'bad-request' };
    try {
      const record = await this.index.lookup(upstream);
      if (!record.p2p || record.sha256 === undefined) return { decline: record.tooLarge ? 'too-large' : 'not-held' };
      if ((record.size ?? 0) > MAX_PEER_ASSET_BYTES) return { decline: 'too-large' };
      this.index.alias(asset, record.upstream);
      const found = await this.index.body(record);
      if (!found?.record.sha256) return { decline: 'not-held' };
      return { body: found.body, sha256: found.record.sha256 };
    } catch {
      return { decline: 'not-held' };
    }
  }
}
