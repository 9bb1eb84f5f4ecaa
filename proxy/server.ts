import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Config } from '../core/config/options.js';
import type { Logger } from '../core/logger.js';
import { createMetrics, type Metrics } from '../core/metrics.js';
import { clientAddress } from './http/client-address.js';
import { normalizeAddress } from '../core/utils/ip-address.js';
import { sendErrorPage, sendErrorStatus, sendJsonError, sendSocketError } from '../core/http/error-response.js';
import { OriginForwarder, type ResponseRewriter } from './http/forward.js';
import { forwardUpgrade } from './http/upgrade.js';
import { P2pRouter } from './routes/router.js';
import type { Feature, RouteContext } from '../core/feature.js';

const READY_PROBE_TIMEOUT_MS = 2_000;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface PeerConnectServerOptions {
  config: Config;
  origin: URL;
  logger: Logger;
}

/**
 * The HTTP server: routes `/__p2p/*`, forwards everything else to the origin,
 * hosts upgrade handlers, and owns the lifetime of every feature.
 */
export class PeerConnectServer {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly router: P2pRouter;
  readonly forwarder: OriginForwarder;
  readonly httpServer: Server;
  private readonly features: Feature[] = [];
  private readonly rewriters: ResponseRewriter[] = [];
  private readonly trustedProxies: ReadonlySet<string>;
  private readonly idPrefix = randomBytes(4).toString('hex');
  private requestCounter = 0;
  private inFlight = 0;
  private closing: Promise<void> | undefined;

  constructor(options: PeerConnectServerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.metrics = createMetrics();
    this.trustedProxies = new Set(options.config.trustProxy);
    this.router = new P2pRouter(options.config.prefix, options.config.adminToken);
    this.forwarder = new OriginForwarder({
      origin: options.origin,
      timeoutMs: options.config.originTimeoutMs,
      logger: options.logger,
      rewriteResponse: (ctx) => {
        for (const rewrite of this.rewriters) {
          const result = rewrite(ctx);
          if (result) return result;
        }
        return undefined;
      },
    });
    this.httpServer = createServer({ keepAliveTimeout: 5_000 }, (req, res) => void this.onRequest(req, res));
    this.httpServer.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.httpServer.on('clientError', (_err, socket) => sendSocketError(socket, 'PC_ERR_BAD_REQUEST'));

    this.router.route('healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
    this.router.route('readyz', async (_req, res) => {
      const notReady = this.features.filter((feature) => feature.ready && !feature.ready()).map((f) => f.name);
      const originUp = await this.forwarder.probe(READY_PROBE_TIMEOUT_MS);
      const ok = originUp && notReady.length === 0 && !this.closing;
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not-ready', origin: originUp ? 'up' : 'down', waitingFor: notReady });
    });
  }

  addFeature(feature: Feature): this {
    this.features.push(feature);
    return this;
  }

  /** Response rewriters are asked in order; the first that returns a rewrite wins. */
  addResponseRewriter(rewriter: ResponseRewriter): this {
    this.rewriters.push(rewriter);
    return this;
  }

  async listen(port: number, host: string): Promise<URL> {
    for (const feature of this.features) await feature.start?.();
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, host, () => {
        this.httpServer.off('error', reject);
        resolve();
      });
    });
    return this.address();
  }

  address(): URL {
    const address = this.httpServer.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new URL(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`);
  }

  /** Stop accepting, let in-flight requests finish within the deadline, then close features. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    const stopped = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.httpServer.closeIdleConnections();
    while (this.inFlight > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      this.httpServer.closeIdleConnections();
    }
    this.httpServer.closeAllConnections();
    for (const feature of [...this.features].reverse()) {
      await feature.close?.().catch((err: unknown) => this.logger.error({ err, feature: feature.name }, 'feature close failed'));
    }
    await stopped;
    await this.forwarder.close();
  }

  private context(req: IncomingMessage, url: URL, subpath: string, requestId: string): RouteContext {
    return {
      url, subpath, requestId,
      clientAddress: clientAddress(req, this.trustedProxies),
      publicBase: this.publicBase(req),
    };
  }

  publicBase(req: IncomingMessage): string {
    if (this.config.publicUrl) return this.config.publicUrl.replace(/\/$/, '');
    const proto = isTlsSocket(req) ? 'https' : 'http';
    const host = req.headers.host ?? `${this.address().host}`;
    return `${proto}://${host}`;
  }

  private requestId(req: IncomingMessage): string {
    const incoming = req.headers['x-request-id'];
    if (typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming)) return incoming;
    return `${this.idPrefix}-${(++this.requestCounter).toString(36)}`;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = this.requestId(req);
    this.inFlight++;
    let routeKind = 'proxy';
    res.once('close', () => {
      this.inFlight--;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.headersSent ? res.statusCode : 0;
      this.metrics.httpRequests.inc({ route: routeKind, status: `${Math.floor(status / 100)}xx` });
      this.metrics.httpLatency.observe({ route: routeKind }, seconds);
      if (this.logger.isLevelEnabled('info')) {
        this.logger.info({
          reqId: requestId, method: req.method, url: req.url, status,
          ms: Math.round(seconds * 1e4) / 10, bytes: res.getHeader('content-length'),
          // P2P_PRIVACY=strict masking happens in the logger's scrubber, for every line alike.
          ip: normalizeAddress(req.socket.remoteAddress ?? ''),
          aborted: !res.writableFinished,
        }, 'request');
      }
    });
    res.setHeader('x-request-id', requestId);

    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://placeholder');
    } catch {
      return sendErrorPage(res, 'PC_ERR_BAD_REQUEST', requestId);
    }
    if (this.closing) {
      res.setHeader('connection', 'close');
      return sendErrorPage(res, 'PC_ERR_SHUTTING_DOWN', requestId);
    }
    const subpath = this.router.match(url.pathname);
    try {
      if (subpath !== undefined) {
        routeKind = 'p2p';
        await this.router.handle(req, res, this.context(req, url, subpath, requestId));
        return;
      }
      if (req.method === 'CONNECT') {
        return sendErrorStatus(res, 'PC_ERR_METHOD_NOT_ALLOWED', { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' });
      }
      const ctx = this.context(req, url, '', requestId);
      const outcome = await this.forwarder.forward(req, res, {
        clientAddress: ctx.clientAddress,
        proto: isTlsSocket(req) ? 'https' : 'http',
        host: req.headers.host,
        requestId,
      }, ctx.publicBase, url);
      if (outcome !== 'ok') this.metrics.originFailures.inc({ outcome });
    } catch (err) {
      // A bug of ours, not a bad request: the log keeps the stack, the answer only the code and request id.
      this.logger.error({ err, reqId: requestId, url: req.url }, 'request handler failed');
      if (subpath !== undefined) sendJsonError(res, 'PC_ERR_INTERNAL', undefined, { fields: { requestId } });
      else sendErrorPage(res, 'PC_ERR_INTERNAL', requestId);
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const requestId = this.requestId(req);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://placeholder');
    } catch {
      sendSocketError(socket, 'PC_ERR_BAD_REQUEST');
      return;
    }
    const subpath = this.router.match(url.pathname);
    const ctx = this.context(req, url, subpath ?? '', requestId);
    if (subpath !== undefined) {
      try {
        if (!this.router.handleUpgrade(req, socket, head, ctx)) sendSocketError(socket, 'PC_ERR_NOT_FOUND');
      } catch (err) {
        // Thrown from an 'upgrade' listener this would take the whole process down.
        this.logger.error({ err, reqId: requestId, url: req.url }, 'upgrade handler failed');
        sendSocketError(socket, 'PC_ERR_INTERNAL');
      }
      return;
    }
    forwardUpgrade(this.forwarder.origin, req, socket, head, {
      clientAddress: ctx.clientAddress, proto: 'http', host: req.headers.host, requestId,
    }, this.logger);
  }
}

function isTlsSocket(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

export function sendJson(res: ServerResponse, status: number, value: unknown, extraHeaders: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extraHeaders,
  });
  res.end(body);
}
