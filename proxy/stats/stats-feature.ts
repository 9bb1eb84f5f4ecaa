import type { Server } from 'node:http';
import type { Config } from '../../core/config/options.js';
import type { AssetUrls, Feature } from '../../core/feature.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { EdgeCacheFigures } from '../../protocol/stats.js';
import { registerDashboardRoute } from '../dashboard/dashboard-route.js';
import { registerMetricsRoute } from '../routes/metrics-route.js';
import { registerReportRoute } from '../routes/report-route.js';
import { P2pRouter } from '../routes/router.js';
import { registerStatsRoute, type SignalingFigures } from '../routes/stats-route.js';
import { sendJson } from '../server.js';
import { AdminListener } from './admin-listener.js';
import { RateLimiter } from '../../core/utils/rate-limiter.js';
import { StatsAggregator } from './stats-aggregator.js';
import { ReportBounds } from './report-bounds.js';
import { meterTraffic } from './traffic-meter.js';

/** A page view sends a few beacons (debounced batches); 20 at once and 2 per second after that is generous. */
export const REPORT_BURST = 20;
export const REPORT_PER_SECOND = 2;
/** Client addresses remembered by the report rate limiter. */
export const REPORT_MAX_CLIENTS = 10_000;

export interface StatsFeatureOptions {
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** The main router: the report beacon always, admin routes unless ADMIN_PORT moves them. */
  routes: P2pRouter;
  /** Metered for bytes sent to clients. */
  httpServer: Server;
  signaling: SignalingFigures;
  assetUrls: AssetUrls;
  /** With EDGE_CACHE: its figures go into /stats for the dashboard. */
  edgeCache?: { figures(): EdgeCacheFigures };
}

/**
 * Observability: the client report beacon, the stats aggregator, `/stats`,
 * `/metrics` and the dashboard, and bytes-to-clients metering. Admin routes live
 * on the main router (token-guarded) or, with ADMIN_PORT, only on a second listener.
 */
export class StatsFeature implements Feature {
  readonly name = 'stats';
  readonly aggregator: StatsAggregator;
  readonly limiter: RateLimiter;
  /** Set once the admin listener runs (only with ADMIN_PORT). */
  adminUrl: URL | undefined;
  private readonly admin: AdminListener | undefined;
  private readonly stopMeter: () => void;
  private closed = false;

  constructor(private readonly options: StatsFeatureOptions) {
    const { config, metrics, logger, routes } = options;
    this.aggregator = new StatsAggregator({ metrics });
    this.limiter = new RateLimiter({ burst: REPORT_BURST, perSecond: REPORT_PER_SECOND, maxClients: REPORT_MAX_CLIENTS });
    const sizeOf = options.assetUrls.sizeOf?.bind(options.assetUrls) ?? (() => undefined);
    const bounds = new ReportBounds({ sizeOf });
    registerReportRoute(routes, { aggregator: this.aggregator, limiter: this.limiter, bounds, metrics, logger });

    let adminRouter = routes;
    if (config.adminPort !== undefined) {
      adminRouter = new P2pRouter(config.prefix, config.adminToken);
      adminRouter.route('healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
      this.admin = new AdminListener(adminRouter, new Set(config.trustProxy), logger);
    }
    registerStatsRoute(adminRouter, {
      aggregator: this.aggregator, signaling: options.signaling, assetUrls: options.assetUrls,
      ...(options.edgeCache ? { edgeCache: options.edgeCache } : {}),
    });
    registerMetricsRoute(adminRouter, metrics);
    registerDashboardRoute(adminRouter);
    this.stopMeter = meterTraffic(options.httpServer, config.prefix, metrics);
  }

  async start(): Promise<void> {
    const { adminPort, host } = this.options.config;
    if (this.admin && adminPort !== undefined) {
      this.adminUrl = await this.admin.listen(adminPort, host);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopMeter();
    await this.admin?.close();
  }
}
