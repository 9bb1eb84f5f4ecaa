import type { Metrics } from '../../core/metrics.js';
import type { StatsSources } from '../stats/stats-sources.js';
import { collectSources } from './stats-route.js';
import type { P2pRouter } from './router.js';

/** `GET <prefix>/metrics` (admin): Prometheus text exposition of the server's registry. */
export function registerMetricsRoute(router: P2pRouter, metrics: Metrics, sources: StatsSources): void {
  router.route('metrics', async (_req, res) => {
    // Refresh gauges owned by other features (peers, swarms) at scrape time.
    await collectSources(sources, metrics);
    const body = await metrics.registry.metrics();
    res.writeHead(200, {
      'content-type': metrics.registry.contentType,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  }, { admin: true });
}
