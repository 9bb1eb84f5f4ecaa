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
  /** Test-only fault injection, obeyed only by the client's test build (production bundles compile it out). */
  fault?: 'throw-at-start' | 'corrupt-bytes' | 'close-mid-transfer' | 'drop-candidates';
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
} as const;
