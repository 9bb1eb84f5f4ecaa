import { sendJson } from '../server.js';
import type { Metrics } from '../../core/metrics.js';
import type { StatsAggregator } from '../stats/stats-aggregator.js';
import { peersAndSwarms, type StatsSources } from '../stats/stats-sources.js';
import type { P2pRouter } from './router.js';

export interface StatsRouteOptions {
  aggregator: StatsAggregator;
  sources: StatsSources;
  metrics: Metrics;
  /** The URL path of an asset id, when some feature knows it (the seeder's media index). */
  assetPath?: (id: string) => string | undefined;
}

/** Collects provider figures and mirrors peers/swarms into their gauges. */
export async function collectSources(sources: StatsSources, metrics: Metrics): Promise<{
  peers: number | null; swarms: number | null; sources: Record<string, unknown>;
}> {
  const collected = await sources.collect();
  const { peers, swarms } = peersAndSwarms(collected.signaling);
  if (peers !== null) metrics.peers.set(peers);
  if (swarms !== null) metrics.swarms.set(swarms);
  return { peers, swarms, sources: collected };
}

/**
 * `GET <prefix>/stats` (admin): JSON for the dashboard and for scripts — bytes by
 * source, offload ratios, fallbacks, time-to-image, top assets, bytes over time,
 * and peers/swarms from signaling when that feature is running (null otherwise).
 */
export function registerStatsRoute(router: P2pRouter, options: StatsRouteOptions): void {
  router.route('stats', async (_req, res) => {
    const snapshot = options.aggregator.snapshot();
    const topAssets = snapshot.topAssets.map((asset) => ({ ...asset, path: options.assetPath?.(asset.id) ?? null }));
    const { peers, swarms, sources } = await collectSources(options.sources, options.metrics);
    sendJson(res, 200, { ...snapshot, topAssets, peers, swarms, sources, now: new Date().toISOString() });
  }, { admin: true });
}
