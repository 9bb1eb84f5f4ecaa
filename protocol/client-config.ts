/**
 * The config block the injector writes into each page as
 * `<script type="application/json" id="__p2p-config">` and the client reads.
 * All URLs are paths on the proxy (same origin as the page).
 */
import type { MediaKind } from './media.js';

export const CLIENT_CONFIG_ELEMENT_ID = '__p2p-config';

export interface ClientConfig {
  v: 1;
  /** Reserved prefix, e.g. `/__p2p`; signal, tracker, manifest, report live under it. */
  prefix: string;
  /** Per-image deadline before falling back to HTTP. */
  peerTimeoutMs: number;
  /**
   * `P2P_HEDGE_MS`: start HTTP too when an image's first peer byte has not come
   * within this many ms (0: never). Absent: derived from the visitor's own HTTP timings.
   */
  hedgeMs?: number;
  /** `P2P_LCP_HTTP` (on by default): the parked image covering most of the first viewport loads over HTTP. */
  lcpHttp?: true;
  /**
   * Credential-free ICE server URLs (STUN) for RTCPeerConnection, usable before
   * signaling's `welcome` arrives. TURN entries and their credentials are never
   * written into the page (it is cached and shared): they come only in `welcome`.
   */
  iceServers: string[];
  mediaTypes: MediaKind[];
  /**
   * `strict` (P2P_PRIVACY=strict): peer connections go through TURN only
   * (`iceTransportPolicy: 'relay'`, so no peer learns this visitor's address), and
   * without a TURN server the visitor loads everything over HTTP. Absent: `normal`.
   */
  privacy?: 'normal' | 'strict';
  /**
   * What the proxy's media index knows of this page's assets (from the page's
   * previous rewrite), so the client needs no manifest round trip for them.
   * At most MAX_CONFIG_ASSETS entries; `url` is a path on the page's origin.
   */
  assets?: ConfigAsset[];
  /**
   * `P2P_TRACKER_URL`: the external ws(s):// WebTorrent tracker video and audio
   * announce to. Absent: the proxy's own `<prefix>/tracker` on the page's host.
   */
  trackerUrl?: string;
  /** Test-only fault injection, obeyed only by the client's test build (production bundles compile it out). */
  fault?: 'throw-at-start' | 'corrupt-bytes' | 'close-mid-transfer' | 'stall-mid-transfer' | 'drop-candidates';
}

/** Most asset entries one page's config carries (about 150 bytes each). */
export const MAX_CONFIG_ASSETS = 64;

/** One asset's manifest facts, written into the page. */
export interface ConfigAsset {
  /** Path (and query) on the page's origin. */
  url: string;
  id: string;
  /** Lower-case hex SHA-256 of the whole body. */
  sha256: string;
  size: number;
  type?: string;
  /**
   * Images only: the intrinsic width and height the image's bytes declare (both
   * or neither, integers 1…MAX_IMAGE_DIMENSION), so a parked image without
   * width/height attributes holds its aspect ratio before its bytes arrive.
   */
  width?: number;
  height?: number;
}

/** Largest width or height the config carries (no browser decodes a larger image anyway). */
export const MAX_IMAGE_DIMENSION = 65_535;

/**
 * `{ width, height }` when both are integers in 1…MAX_IMAGE_DIMENSION, else
 * nothing (spread it into an asset): the one check both the proxy writing a
 * config and the client reading one apply.
 */
export function imageDimensionsOf(width: unknown, height: unknown): { width: number; height: number } | { width?: undefined; height?: undefined } {
  const valid = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= MAX_IMAGE_DIMENSION;
  return valid(width) && valid(height) ? { width, height } : {};
}

/** Element attributes the injector writes and the client reads. */
export const ATTR = {
  /**
   * `<id>.<kind>.<mode>` (see formatAssetTag in media.ts): the asset id, the media
   * kind, and `peer` (load from peers) or `http` (loads itself; the visitor
   * becomes a holder).
   */
  tag: 'data-p2p',
  /** `src` moved here when the element should load from peers. */
  src: 'data-p2p-src',
  srcset: 'data-p2p-srcset',
  poster: 'data-p2p-poster',
  skip: 'data-p2p-skip',
  /**
   * On a parked `<img>` whose page gave no width/height: the proxy wrote its
   * intrinsic size (from the config's assets) as width/height attributes so it
   * holds its box from the first frame; the client removes them once it paints.
   */
  size: 'data-p2p-size',
} as const;
