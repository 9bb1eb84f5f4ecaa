import { createServer, Server, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import cluster from 'node:cluster';
import type { Config } from '../core/config/options.js';
import type { Logger } from '../core/logger.js';
import { createMetrics, type Metrics } from '../core/metrics.js';
import { clientAddress, isPrivateOrLoopback, TrustedProxies } from './http/client-address.js';
import type { ForwardedInfo } from './http/headers.js';
import { normalizeAddress } from '../core/utils/ip-address.js';
import { sendErrorPage, sendErrorStatus, sendJsonError, sendSocketError } from '../core/http/error-response.js';
import { OriginForwarder, type ResponseRewriter } from './http/forward.js';
import { forwardUpgrade } from './http/upgrade.js';
import type { EdgeCache } from './cache/edge-cache.js';
import { P2pRouter } from './routes/router.js';
import type { AcmeChallengeHandler, CertificateTarget, Feature, RouteContext } from '../core/feature.js';
import { secureContextFor, readTlsFiles, type TlsMaterial } from './tls/tls-material.js';
import { CertificateFiles } from './tls/certificate-files.js';
import { HttpRedirectListener } from './tls/http-redirect.js';
import { originCaList } from './tls/origin-ca.js';
import { ConfigError } from '../core/errors.js';

const READY_PROBE_TIMEOUT_MS = 2_000;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KEEP_ALIVE_MS = 5_000;
/** How often Node checks open connections against the client timeouts (its default, 30 s, would let a slowloris overstay). */
const CONNECTIONS_CHECK_MS = 1_000;
/** Where HTTP_PORT listens when TLS is on and it is not set. */
export const DEFAULT_HTTP_PORT = 80;

export interface PeerConnectServerOptions {
  config: Config;
  origin: URL;
  logger: Logger;
  /**
   * Serve HTTPS with this certificate when TLS_CERT_FILE/TLS_KEY_FILE are not
   * set (an ACME client's stored or placeholder certificate); it swaps later
   * ones in with `setCertificate`.
   */
  tls?: TlsMaterial;
}

/** A request Node could not read: too slow (client timeouts) or malformed (any framing error is a 400, never forwarded). */
function clientErrorCode(err: NodeJS.ErrnoException): 'PC_ERR_REQUEST_TIMEOUT' | 'PC_ERR_BAD_REQUEST' {
  return err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'PC_ERR_REQUEST_TIMEOUT' : 'PC_ERR_BAD_REQUEST';
}

/**
 * The HTTP server: routes `/__p2p/*`, forwards everything else to the origin,
 * hosts upgrade handlers, and owns the lifetime of every feature.
 */
export class PeerConnectServer implements CertificateTarget {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly router: P2pRouter;
  readonly forwarder: OriginForwarder;
  /** The PORT listener: node:http, or with TLS an HTTP/2 server that also speaks HTTP/1.1. */
  readonly httpServer: Server | Http2SecureServer;
  /** Whether PORT serves HTTPS. */
  readonly tls: boolean;
  /** With TLS: the plain-HTTP listener (HTTP_PORT) once listening. */
  httpRedirect: HttpRedirectListener | undefined;
  private acmeChallenge: AcmeChallengeHandler | undefined;
  /**
   * INTERNAL_PORT: a plain-HTTP listener for seeders, which cannot verify our
   * public certificate on an internal address, and for health checks.
   */
  private internal: Server | undefined;
  /** The embedded seeder's listener on 127.0.0.1 (an ephemeral port) when it cannot use PORT or INTERNAL_PORT. */
  private loopback: Server | undefined;
  private certificateFiles: CertificateFiles | undefined;
  /** With TLS the server cannot close idle connections itself: it is told about each one. */
  private readonly sockets = new Set<Socket>();
  /** CAs for an https origin when ORIGIN_CA_FILE is set. */
  private readonly originCa: string[] | undefined;
  private readonly features: Feature[] = [];
  private readonly rewriters: ResponseRewriter[] = [];
  private edgeCache: EdgeCache | undefined;
  private readonly trustedProxies: TrustedProxies;
  private warnedUntrustedProxy = false;
  private readonly idPrefix = randomBytes(4).toString('hex');
  private requestCounter = 0;
  private inFlight = 0;
  private closing: Promise<void> | undefined;

  constructor(options: PeerConnectServerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.metrics = createMetrics();
    this.trustedProxies = new TrustedProxies(options.config.trustProxy);
    this.originCa = originCaList(options.config.originCaFile);
    this.router = new P2pRouter(options.config.prefix, options.config.adminToken);
    this.forwarder = new OriginForwarder({
      origin: options.origin,
      timeoutMs: options.config.originTimeoutMs,
      idleTimeoutMs: options.config.originIdleTimeoutMs,
      ...(this.originCa ? { ca: this.originCa } : {}),
      logger: options.logger,
      rewriteResponse: (ctx) => {
        for (const rewrite of this.rewriters) {
          const result = rewrite(ctx);
          if (result) return result;
        }
        return undefined;
      },
    });
    const material = this.initialTls(options);
    this.tls = material !== undefined;
    if (material) {
      // allowHTTP1: browsers without h2 and every WebSocket handshake (RFC 6455 upgrades are HTTP/1.1 only).
      const server = createSecureServer({ cert: material.cert, key: material.key, allowHTTP1: true });
      server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => void this.onRequest(asHttp1Request(req), res as unknown as ServerResponse));
      server.on('secureConnection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      });
      // A failed handshake (a scanner, a client that distrusts the certificate) is not our error.
      server.on('tlsClientError', () => undefined);
      this.httpServer = server;
    } else {
      this.httpServer = createServer(this.http1Options(), (req, res) => void this.onRequest(req, res));
      this.httpServer.on('clientError', (err: NodeJS.ErrnoException, socket) => sendSocketError(socket, clientErrorCode(err)));
    }
    // With TLS, Node's HTTP/1.1 fallback emits 'upgrade' on the HTTP/2 server as well.
    this.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));

    this.router.route('healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
    this.router.route('readyz', async (_req, res) => {
      const notReady = this.features.filter((feature) => feature.ready && !feature.ready()).map((f) => f.name);
      const originUp = await this.forwarder.probe(READY_PROBE_TIMEOUT_MS);
      const ok = originUp && notReady.length === 0 && !this.closing;
      const details = Object.assign({}, ...this.features.map((feature) => feature.status?.() ?? {})) as Record<string, string>;
      sendJson(res, ok ? 200 : 503, { ...details, status: ok ? 'ready' : 'not-ready', origin: originUp ? 'up' : 'down', waitingFor: notReady });
    });
  }

  /** Keep-alive, and the client timeouts that cut slowloris headers and slow bodies. */
  private http1Options(): ServerOptions {
    const requestTimeout = this.config.clientRequestTimeoutMs;
    return {
      keepAliveTimeout: KEEP_ALIVE_MS,
      requestTimeout,
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout: Math.min(this.config.clientHeadersTimeoutMs, requestTimeout),
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    };
  }

  /** TLS_CERT_FILE + TLS_KEY_FILE (checked here, so bad files stop the start), else the constructor's `tls`. */
  private initialTls(options: PeerConnectServerOptions): TlsMaterial | undefined {
    const { tlsCertFile, tlsKeyFile } = options.config;
    if (tlsCertFile === undefined && tlsKeyFile === undefined) return options.tls;
    if (tlsCertFile === undefined || tlsKeyFile === undefined) {
      const [set, missing] = tlsCertFile === undefined ? ['TLS_KEY_FILE', 'TLS_CERT_FILE'] : ['TLS_CERT_FILE', 'TLS_KEY_FILE'];
      throw new ConfigError(`${set} is set: expected ${missing} as well (a PEM certificate chain and its private key)`);
    }
    const material = readTlsFiles(tlsCertFile, tlsKeyFile);
    this.certificateFiles = new CertificateFiles(tlsCertFile, tlsKeyFile, (next) => this.setCertificate(next.cert, next.key), this.logger.child({ module: 'peerconnect:tls' }));
    return material;
  }

  /**
   * Serves a new certificate to new connections; open ones (an HTTP/2 session
   * with many streams, a WebSocket) keep the one they shook hands with. Throws,
   * and keeps the current one, when the pair does not fit together.
   */
  setCertificate(cert: Buffer | string, key: Buffer | string): void {
    if (!this.tls) throw new Error('setCertificate: PORT serves plain HTTP (no TLS_CERT_FILE/TLS_KEY_FILE and no initial certificate)');
    secureContextFor({ cert, key });
    (this.httpServer as Http2SecureServer).setSecureContext({ cert, key });
  }

  /** The ACME HTTP-01 responder on HTTP_PORT (`/.well-known/acme-challenge/<token>`); undefined: 404. */
  setAcmeChallengeHandler(handler: AcmeChallengeHandler | undefined): void {
    this.acmeChallenge = handler;
  }

  /** Re-reads TLS_CERT_FILE/TLS_KEY_FILE now (SIGHUP); false when there are none or they failed to load. */
  reloadCertificates(): boolean {
    return this.certificateFiles?.reload() ?? false;
  }

  addFeature(feature: Feature): this {
    this.features.push(feature);
    return this;
  }

  /** The edge cache (EDGE_CACHE), asked before the forwarder for every site request. */
  setEdgeCache(cache: EdgeCache | undefined): this {
    this.edgeCache = cache;
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
    this.certificateFiles?.start();
    if (this.config.internalPort !== undefined) this.internal = await this.plainListener({ port: this.config.internalPort, host });
    // The embedded seeder's own way in: with TLS, or in a node:cluster worker (WORKERS), where PORT and
    // INTERNAL_PORT are shared and a connection to them may reach another worker (exclusive: this process's alone).
    if (cluster.isWorker || (this.tls && this.internal === undefined)) {
      this.loopback = await this.plainListener({ port: 0, host: '127.0.0.1', exclusive: true });
    }
    const httpPort = this.config.httpPort ?? DEFAULT_HTTP_PORT;
    if (this.tls && httpPort !== 'off') {
      const redirect = new HttpRedirectListener({
        httpsPort: () => this.publicPort(),
        publicUrl: this.config.publicUrl,
        challenge: () => this.acmeChallenge,
      });
      this.httpRedirect = redirect;
      try {
        await redirect.listen(httpPort, host);
      } catch (err) {
        throw new Error(`HTTP_PORT=${httpPort}: cannot listen (${(err as Error).message}; set HTTP_PORT=off or another port)`);
      }
    }
    return this.address();
  }

  /** A plain-HTTP listener serving everything PORT serves (INTERNAL_PORT, the embedded seeder's). */
  private async plainListener(options: ListenOptions): Promise<Server> {
    const listener = createServer(this.http1Options(), (req, res) => void this.onRequest(req, res));
    listener.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    listener.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(options, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    return listener;
  }

  /** Where an in-process client (the embedded seeder) reaches this server: PORT, or the plain-HTTP internal listener when there is one. */
  loopbackUrl(): URL {
    const listener = this.loopback ?? this.internal;
    if (!listener) return this.address();
    const address = listener.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new URL(`http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`);
  }

  /** The HTTPS port visitors use: PUBLIC_URL's when it is https, else the listener's. */
  private publicPort(): number {
    const publicUrl = this.config.publicUrl;
    if (publicUrl?.startsWith('https:')) return Number(new URL(publicUrl).port || 443);
    return (this.httpServer.address() as AddressInfo).port;
  }

  address(): URL {
    const address = this.httpServer.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new URL(`${this.tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`);
  }

  /** Stop accepting, let in-flight requests finish within the deadline, then close features. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    this.certificateFiles?.close();
    const redirectClosed = this.httpRedirect?.close();
    const plain = [this.internal, this.loopback].filter((listener): listener is Server => listener !== undefined);
    const plainClosed = Promise.all(plain.map((listener) => new Promise<void>((resolve) => listener.close(() => resolve()))));
    for (const listener of plain) listener.closeIdleConnections();
    const stopped = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.closeIdle();
    while (this.inFlight > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      this.closeIdle();
    }
    if (this.httpServer instanceof Server) this.httpServer.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    for (const listener of plain) listener.closeAllConnections();
    await redirectClosed;
    for (const feature of [...this.features].reverse()) {
      await feature.close?.().catch((err: unknown) => this.logger.error({ err, feature: feature.name }, 'feature close failed'));
    }
    // After the features: an upgraded socket (the embedded seeder's signaling) holds its listener open until signaling closes it.
    await plainClosed;
    await stopped;
    await this.forwarder.close();
  }

  private closeIdle(): void {
    if (this.httpServer instanceof Server) {
      this.httpServer.closeIdleConnections();
      return;
    }
    // HTTP/2 and HTTP/1.1 over TLS: nothing in flight means every open connection is idle.
    if (this.inFlight === 0) for (const socket of this.sockets) socket.destroy();
  }

  private context(req: IncomingMessage, url: URL, subpath: string, requestId: string): RouteContext {
    const info = this.forwardedInfo(req, requestId);
    return { url, subpath, requestId, clientAddress: info.clientAddress, publicBase: this.publicBase(req, info) };
  }

  /**
   * Who and what the request is for, as the origin is told: from a trusted proxy
   * its X-Forwarded-For/Proto/Host are believed; otherwise the visitor is the
   * socket peer, the scheme is this listener's (https with TLS, else
   * PUBLIC_URL's) and the host is the Host header.
   */
  forwardedInfo(req: IncomingMessage, requestId: string): ForwardedInfo {
    const peer = normalizeAddress(req.socket.remoteAddress ?? '0.0.0.0');
    const trustedHop = this.trustedProxies.size > 0 && this.trustedProxies.has(peer);
    const ownProto = isTlsSocket(req) || this.config.publicUrl?.startsWith('https:') === true ? 'https' : 'http';
    const claimedProto = trustedHop ? firstValue(req.headers['x-forwarded-proto'])?.toLowerCase() : undefined;
    const claimedHost = trustedHop ? firstValue(req.headers['x-forwarded-host']) : undefined;
    return {
      clientAddress: clientAddress(req, this.trustedProxies),
      proto: claimedProto === 'https' || claimedProto === 'http' ? claimedProto : ownProto,
      host: claimedHost ?? req.headers.host,
      requestId,
      trustedHop,
      directPeer: peer,
    };
  }

  publicBase(req: IncomingMessage, info: ForwardedInfo = this.forwardedInfo(req, '')): string {
    if (this.config.publicUrl) return this.config.publicUrl.replace(/\/$/, '');
    const host = info.host ?? `${this.address().host}`;
    return `${info.proto}://${host}`;
  }

  /**
   * Behind a same-host or in-cluster proxy with TRUST_PROXY unset, every visitor
   * looks like that proxy: one address for per-address limits, pairing and logs.
   * Said once, on the first such site request.
   */
  private warnIfUntrustedProxy(req: IncomingMessage): void {
    if (this.warnedUntrustedProxy || this.trustedProxies.size > 0) return;
    const peer = req.socket.remoteAddress ?? '';
    if (!isPrivateOrLoopback(peer)) return;
    this.warnedUntrustedProxy = true;
    this.logger.warn({ peer: normalizeAddress(peer) },
      'a request came from a private or loopback address and TRUST_PROXY is unset: if a load balancer or TLS terminator is in front, set TRUST_PROXY to its address (else every visitor counts as that one address)');
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
          ip: visitor,
          aborted: !res.writableFinished,
        }, 'request');
      }
    });
    res.setHeader('x-request-id', requestId);
    // The visitor, not a terminator in front, is what the access log records.
    const visitor = clientAddress(req, this.trustedProxies);

    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://placeholder');
    } catch {
      return sendErrorPage(res, 'PC_ERR_BAD_REQUEST', requestId);
    }
    if (this.closing) {
      // HTTP/2 has no Connection header (setting one is an error); the session's GOAWAY does that job.
      if (req.httpVersionMajor === 1) res.setHeader('connection', 'close');
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
      this.warnIfUntrustedProxy(req);
      const info = this.forwardedInfo(req, requestId);
      const publicBase = this.publicBase(req, info);
      if (this.edgeCache && await this.edgeCache.handle(req, res, info, publicBase, url)) return;
      const outcome = await this.forwarder.forward(req, res, info, publicBase, url);
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
    this.warnIfUntrustedProxy(req);
    forwardUpgrade(this.forwarder.origin, req, socket, head, this.forwardedInfo(req, requestId), this.logger, this.originCa);
  }
}

/**
 * HTTP/2 requests reach the same handler as HTTP/1.1 ones through Node's
 * compatibility API, which mirrors IncomingMessage. The one gap the handlers
 * see is Host: HTTP/2 carries it as `:authority`, so it is copied over. The
 * `:pseudo` headers stay in `rawHeaders`; the origin forwarder drops them.
 */
function asHttp1Request(req: Http2ServerRequest): IncomingMessage {
  if (req.headers.host === undefined && typeof req.headers[':authority'] === 'string') req.headers.host = req.headers[':authority'];
  return req as unknown as IncomingMessage;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = [header ?? []].flat()[0]?.split(',')[0]?.trim();
  return value === '' ? undefined : value;
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
