import type { IncomingMessage, ServerResponse } from 'node:http';
import { REPORT_MAX_BYTES } from '../../protocol/report.js';
import { sendJsonError } from '../../core/http/error-response.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { readBoundedBody } from '../stats/read-bounded-body.js';
import { parseReport } from '../stats/report-schema.js';
import type { RateLimiter } from '../../core/utils/rate-limiter.js';
import type { StatsAggregator } from '../stats/stats-aggregator.js';
import type { ReportBounds } from '../stats/report-bounds.js';
import type { P2pRouter } from './router.js';
import type { RouteContext } from '../../core/feature.js';

/** A beacon that has not arrived whole by then is dropped. */
export const REPORT_BODY_TIMEOUT_MS = 5_000;
/**
 * sendBeacon with a string sends `text/plain;charset=UTF-8` (a CORS-safelisted type,
 * so no preflight); a Blob typed application/json is accepted too.
 */
const ACCEPTED_TYPES = new Set(['text/plain', 'application/json']);

export interface ReportRouteOptions {
  aggregator: StatsAggregator;
  limiter: RateLimiter;
  /** Trims claims beyond indexed sizes and per-address byte budgets. */
  bounds?: ReportBounds;
  metrics: Metrics;
  logger: Logger;
  maxBytes?: number;
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** `POST <prefix>/report`: validated, size-bounded and rate-limited client beacons. */
export function registerReportRoute(router: P2pRouter, options: ReportRouteOptions): void {
  const { aggregator, limiter, metrics, logger } = options;
  const maxBytes = options.maxBytes ?? REPORT_MAX_BYTES;

  const reject = (res: ServerResponse, result: string, send: () => void, closeConnection: boolean): void => {
    metrics.reports.inc({ result });
    // The unread rest of a refused body is not worth reading: end the connection.
    if (closeConnection) res.setHeader('connection', 'close');
    send();
  };

  router.route('report', async (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => {
    if (!limiter.take(ctx.clientAddress)) {
      res.setHeader('retry-after', String(Math.max(1, limiter.retryAfterSeconds(ctx.clientAddress))));
      return reject(res, 'rate-limited', () => sendJsonError(res, 'PC_ERR_RATE_LIMITED'), true);
    }
    if (!ACCEPTED_TYPES.has(mediaType(req))) {
      return reject(res, 'unsupported-type', () => sendJsonError(res, 'PC_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected text/plain or application/json'), true);
    }
    const read = await readBoundedBody(req, maxBytes, REPORT_BODY_TIMEOUT_MS);
    if (!read.ok) {
      if (read.reason === 'aborted') {
        metrics.reports.inc({ result: 'aborted' });
        res.destroy();
        return;
      }
      const detail = read.reason === 'too-large' ? `report bodies are limited to ${maxBytes} bytes` : 'report body timed out';
      return reject(res, read.reason, () => sendJsonError(res, read.reason === 'too-large' ? 'PC_ERR_TOO_LARGE' : 'PC_ERR_BAD_REQUEST', detail), true);
    }
    let report;
    try {
      report = parseReport(read.body.toString('utf8'));
    } catch (err) {
      logger.debug({ reqId: ctx.requestId, problem: (err as Error).message }, 'invalid report');
      return reject(res, 'invalid', () => sendJsonError(res, 'PC_ERR_BAD_REQUEST', (err as Error).message), false);
    }
    const bounded = options.bounds?.apply(report, ctx.clientAddress);
    if (bounded && bounded.droppedBytes > 0) {
      metrics.reports.inc({ result: 'trimmed' });
      logger.debug({ reqId: ctx.requestId, droppedBytes: bounded.droppedBytes }, 'report claims trimmed');
    }
    aggregator.ingest(bounded?.report ?? report);
    res.writeHead(204, { 'cache-control': 'no-store' }).end();
  }, { methods: ['POST'] });
}
