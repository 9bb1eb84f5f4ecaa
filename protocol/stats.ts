/**
 * `GET /__p2p/stats` (admin): the JSON the proxy answers and the dashboard reads.
 * Built from client reports (protocol/report.ts) by the proxy's stats aggregator.
 */
import type { ByteSource, FallbackReason } from './report.js';

export type BytesBySource = Record<ByteSource, number>;

/**
 * Offload ratios, each a share of all reported media bytes (null before any byte):
 * - `peer`: bytes browsers got from other browsers — the CDN the visitors form.
 * - `p2p`: peer + seeder — bytes that travelled over WebRTC (the seeder is the
 *   server-side peer, so this counts WebRTC delivery, not infrastructure saved).
 * - `origin`: peer + seeder + webseed — bytes browsers did not fetch from the origin
 *   through the proxy's plain HTTP path (the seeder and webseed read the origin
 *   once into the proxy's cache, then serve from it). This is the product's goal.
 */
export interface OffloadRatios {
  peer: number | null;
  p2p: number | null;
  origin: number | null;
}

export interface TimeToImage {
  count: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export interface AssetStats {
  id: string;
  bytes: BytesBySource;
  total: number;
  /** peer / total for this asset. */
  peerShare: number;
  reports: number;
}

export interface HistoryBucket {
  /** Bucket start, ms since the epoch. */
  t: number;
  bytes: BytesBySource;
}

/** What the aggregator knows from reports alone. */
export interface StatsSnapshot {
  /** ISO time the aggregator started. */
  since: string;
  reports: number;
  bytes: BytesBySource;
  totalBytes: number;
  offload: OffloadRatios;
  fallbacks: Record<FallbackReason, number>;
  timeToImage: TimeToImage & { bySource: Record<ByteSource, TimeToImage> };
  topAssets: AssetStats[];
  trackedAssets: number;
  history: HistoryBucket[];
}

/**
 * The proxy's edge cache (EDGE_CACHE), counted by the server itself, not from
 * reports: `bytesFromCache` are body bytes visitors got over HTTP from the
 * cache, which the origin did not have to send (peers save origin bytes too,
 * but those are the reported peer/seeder/webseed bytes).
 */
export interface EdgeCacheFigures {
  hits: number;
  misses: number;
  revalidated: number;
  bytesFromCache: number;
  /** URLs with a stored response. */
  entries: number;
}

/** The `/stats` body: the snapshot plus what other features know. */
export interface StatsResponse extends StatsSnapshot {
  /** `path`: the asset's URL path when the seeder indexed it, else null. */
  topAssets: (AssetStats & { path: string | null })[];
  /** Connected peers and swarms, from signaling. */
  peers: number;
  swarms: number;
  /** Figures each feature contributes, by feature name (shape is the feature's own). */
  sources: Record<string, unknown>;
  /** ISO time of this answer. */
  now: string;
}

/** Selected candidate pair of a successful link: both host, through a NAT mapping (srflx/prflx), via TURN, or not reported. */
export type LinkPairType = 'host' | 'srflx' | 'relay' | 'unknown';
/** How a network's visitors get media: from peers as usual, or plain HTTP because their links keep failing. */
export type NetworkMode = 'peer' | 'http';

/** One network (/24 or /48) as visitors' link reports describe it; counts decay over time, one decimal. */
export interface NetworkConnectivity {
  network: string;
  attempts: number;
  successes: number;
  /** Successful attempts by selected pair type. */
  pairs: Record<LinkPairType, number>;
  mode: NetworkMode;
}

/** `sources.signaling.connectivity`: what link reports taught signaling, per visitor network. */
export interface ConnectivityStats {
  /** Networks remembered (bounded). */
  networks: number;
  /** Networks whose pages are served in `http` mode now. */
  httpNetworks: number;
  /** Networks with the most (decayed) attempts, most first; bounded. */
  top: NetworkConnectivity[];
}
