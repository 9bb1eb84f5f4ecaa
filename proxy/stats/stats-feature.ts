import { registerDashboardRoute } from '../dashboard/dashboard-route.js';
import { registerMetricsRoute } from '../routes/metrics-route.js';
import { registerReportRoute } from '../routes/report-route.js';
import { P2pRouter } from '../routes/router.js';
import { registerStatsRoute } from '../routes/stats-route.js';
import { sendJson, type PeerConnectServer } from '../server.js';
import type { Feature } from '../../core/feature.js';
import { AdminListener } from './admin-listener.js';
import { RateLimiter } from './rate-limiter.js';
import { StatsAggregator } from './stats-aggregator.js';
import { StatsSources } from './stats-sources.js';
import { meterTraffic } from './traffic-meter.js';

/** A page view sends a few beacons (debounced batches); 20 at once and 2 per second after that is generous. */
export const REPORT_BURST = 20;
export const REPORT_PER_SECOND = 2;
/** Client addresses remembered by the report rate limiter. */
export const REPORT_MAX_CLIENTS = 10_000;

export interface StatsFeatureOptions {
  /** Overrides for tests (flood tests use a small burst). */
  reportBurst?: number;
  reportPerSecond?: number;
}

/**
 * Observability: the client report beacon, the stats aggregator, `/stats`,
 * `/metrics` and the dashboard, and bytes-to-clients metering. Admin routes live
 * on the main router (token-guarded) or, with ADMIN_PORT, only on a second listener.
 * Other features contribute figures through `sources` (e.g. `sources.set('signaling', …)`).
 */
export class StatsFeature implements Feature {
  readonly name = 'stats';
  readonly aggregator: StatsAggregator;
  readonly sources = new StatsSources();
  readonly limiter: RateLimiter;
  /** Set once the admin listener runs (only with ADMIN_PORT). */
  adminUrl: URL | undefined;
  private readonly admin: AdminListener | undefined;
  private readonly stopMeter: () => void;
  private assetUrl: ((id: string) => string | undefined) | undefined;
  private closed = false;

  constructor(private readonly server: PeerConnectServer, options: StatsFeatureOptions = {}) {
    const { config, metrics, logger } = server;
    this.aggregator = new StatsAggregator({ metrics });
    this.limiter = new RateLimiter({
      burst: options.reportBurst ?? REPORT_BURST,
      perSecond: options.reportPerSecond ?? REPORT_PER_SECOND,
      maxClients: REPORT_MAX_CLIENTS,
    });
    registerReportRoute(server.router, { aggregator: this.aggregator, limiter: this.limiter, metrics, logger });

    let adminRouter = server.router;
    if (config.adminPort !== undefined) {
      adminRouter = new P2pRouter(config.prefix, config.adminToken);
      adminRouter.route('healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
      this.admin = new AdminListener(adminRouter, new Set(config.trustProxy), logger);
    }
    registerStatsRoute(adminRouter, {
      aggregator: this.aggregator, sources: this.sources, metrics,
      assetPath: (id) => pathOf(this.assetUrl?.(id)),
    });
    registerMetricsRoute(adminRouter, metrics, this.sources);
    registerDashboardRoute(adminRouter);
    this.stopMeter = meterTraffic(server.httpServer, config.prefix, metrics);
  }

  /** Lets /stats and the dashboard name assets by URL path instead of by id alone. */
  setAssetUrlResolver(resolve: (id: string) => string | undefined): this {
    this.assetUrl = resolve;
    return this;
  }

  async start(): Promise<void> {
    if (this.admin && this.server.config.adminPort !== undefined) {
      this.adminUrl = await this.admin.listen(this.server.config.adminPort, this.server.config.host);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopMeter();
    await this.admin?.close();
  }
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
