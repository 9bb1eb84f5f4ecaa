import type { MediaKind } from '../protocol/media.js';

/** What one instance's media index tells the others about an image: enough for a manifest, no bytes. */
export interface SharedManifest {
  id: string;
  upstream: string;
  contentType: string;
  kind: MediaKind | 'other';
  size?: number;
  /** Lower-case hex SHA-256 of the whole body. */
  sha256?: string;
  /** The intrinsic width and height the image's bytes declare, when readable. */
  width?: number;
  height?: number;
  validators: { etag?: string; lastModified?: string };
  p2p: boolean;
  /** When the origin was last asked (ms since the epoch); freshness runs from here on every instance. */
  checkedAt: number;
}

/**
 * Image manifests shared by several proxy instances (Redis with REDIS_URL), so
 * an image hashed by one instance is described by all of them without each
 * fetching and hashing it again. Only images: video and audio records also need
 * the instance's own torrent file, so each instance indexes those itself. The
 * byte cache stays per instance: bytes are fetched when an instance has to
 * serve them. The seeder's index reads it; the composition root hands it over.
 */
export interface SharedManifests {
  /** What another instance stored for this origin URL; undefined when none, or when the store is unreachable. */
  get(upstream: string): Promise<SharedManifest | undefined>;
  /** Best effort: a failed write is not an error. */
  put(record: SharedManifest): void;
}
