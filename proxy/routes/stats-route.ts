import type { AssetUrls } from '../../core/feature.js';
import type { EdgeCacheFigures, StatsResponse } from '../../protocol/stats.js';
import { sendJson } from '../server.js';
import type { SignalingStats } from '../signaling/signaling-feature.js';
import type { StatsAggregator } from '../stats/stats-aggregator.js';
import type { P2pRouter } from './router.js';

/** Live figures of signaling and the tracker (peers, swarms, connections…). */
export interface SignalingFigures {
  stats(): SignalingStats;
}

export interface StatsRouteOptions {
  aggregator: StatsAggregator;
  signaling: SignalingFigures;
  /** Names assets by URL path instead of by id alone (the seeder's media index). */
  assetUrls: AssetUrls;
  /** With EDGE_CACHE: its hits and the origin bytes it saved, under `sources.edgeCache`. */
  edgeCache?: { figures(): EdgeCacheFigures };
}

/**
 * `GET <prefix>/stats` (admin): JSON for the dashboard and for scripts — bytes by
 * source, offload ratios, fallbacks, time-to-image, top assets, bytes over time,
 * peers and swarms, and signaling's own figures under `sources.signaling` (the edge cache's under `sources.edgeCache`).
 */
export function registerStatsRoute(router: P2pRouter, options: StatsRouteOptions): void {
  router.route('stats', (_req, res) => {
    const snapshot = options.aggregator.snapshot();
    const topAssets = snapshot.topAssets.map((asset) => ({ ...asset, path: pathOf(options.assetUrls.urlOf(asset.id)) ?? null }));
    const signaling = options.signaling.stats();
    sendJson(res, 200, {
      ...snapshot, topAssets, peers: signaling.peers, swarms: signaling.swarms, sources: { signaling, ...(options.edgeCache ? { edgeCache: options.edgeCache.figures() } : {}) }, now: new Date().toISOString(),
    } satisfies StatsResponse);
  }, { admin: true });
}

/** Path only: the query of an origin URL may hold things operators should not see on a wall screen. */
function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
