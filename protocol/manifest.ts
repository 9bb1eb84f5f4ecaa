/**
 * `GET /__p2p/manifest?u=<url>[&u=<url>…]` answers `{ assets: ManifestEntry[] }`,
 * one entry per requested URL, in order. URLs may be absolute or page-relative
 * paths; only URLs on the proxied origin are indexed (others get `error`).
 */
export const MAX_MANIFEST_URLS = 64;

export interface ManifestEntry {
  /** The URL as requested. */
  url: string;
  /** Asset id (same as the injector's `data-p2p`). */
  id?: string;
  contentType?: string;
  size?: number;
  /** Lower-case hex SHA-256 of the full body. */
  sha256?: string;
  /** Video/audio only: BitTorrent v1 info hash (hex) of the torrent at `/__p2p/torrents/<infohash>.torrent`. */
  infoHash?: string;
  /** Browser holders currently online. */
  holders?: number;
  /** False when the asset is not offered P2P (too large, excluded type…). */
  p2p?: boolean;
  error?: 'not-found' | 'forbidden' | 'too-large' | 'origin-error' | 'bad-url';
}

export interface ManifestResponse {
  assets: ManifestEntry[];
}
