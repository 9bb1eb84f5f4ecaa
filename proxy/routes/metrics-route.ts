import type { Metrics } from '../../core/metrics.js';
import type { P2pRouter } from './router.js';

/** `GET <prefix>/metrics` (admin): Prometheus text exposition of the server's registry. */
export function registerMetricsRoute(router: P2pRouter, metrics: Metrics): void {
  router.route('metrics', async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.writeHead(200, {
      'content-type': metrics.registry.contentType,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  }, { admin: true });
}
