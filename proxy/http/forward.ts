import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline, type Duplex } from 'node:stream';
import { Client, Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { ResponseRelay, type RelayResult } from './response-relay.js';
import type { Logger } from '../../core/logger.js';
import { sendErrorPage } from '../../core/http/error-response.js';
import { clientResponseHeaders, originRequestHeaders, type ForwardedInfo } from './headers.js';
import { isStaleSocketError } from '../../core/http/stale-socket.js';

/** Keep-alive sockets kept to the origin; bounded so a flood cannot exhaust the origin. */
const ORIGIN_MAX_CONNECTIONS = 256;
/**
 * Idle origin sockets are dropped after this: below the 5 s of Node's and
 * Apache's servers, so the origin rarely closes a socket we are about to reuse.
 */
const ORIGIN_KEEP_ALIVE_MS = 4_000;

/** A response body rewrite chosen per response (the HTML injector plugs in here). */
export interface BodyRewrite {
  headers: OutgoingHttpHeaders;
  transform: Duplex;
}

export interface ResponseContext {
  req: IncomingMessage;
  url: URL;
  statusCode: number;
  headers: OutgoingHttpHeaders;
  publicBase: string;
}

export type ResponseRewriter = (ctx: ResponseContext) => BodyRewrite | undefined;

export interface ForwarderOptions {
  origin: URL;
  /** Connect and response-headers deadline (ORIGIN_TIMEOUT_MS). */
  timeoutMs: number;
  /** Longest silence inside a response body (ORIGIN_IDLE_TIMEOUT_MS): SSE and long polls sit idle for long. @default timeoutMs */
  idleTimeoutMs?: number;
  /** Extra CA certificates for an https origin (ORIGIN_CA_FILE), added to Node's bundled ones. */
  ca?: string[];
  logger: Logger;
  rewriteResponse?: ResponseRewriter;
}

export type ForwardOutcome = 'ok' | 'origin-unreachable' | 'origin-timeout' | 'client-aborted' | 'origin-error';

/**
 * Forwards requests to the origin over a keep-alive undici Pool, streaming
 * bodies both ways. Chosen by measurement over http-proxy (see bench/proxy).
 */
export class OriginForwarder {
  readonly origin: URL;
  private readonly pool: Pool;
  /** Connection settings towards the origin; the edge cache's fills use them too. */
  readonly clientOptions: Client.Options;
  private readonly logger: Logger;
  private readonly rewriteResponse: ResponseRewriter | undefined;
  private destroyed = false;

  constructor(options: ForwarderOptions) {
    this.origin = options.origin;
    this.logger = options.logger;
    this.rewriteResponse = options.rewriteResponse;
    this.clientOptions = {
      keepAliveTimeout: ORIGIN_KEEP_ALIVE_MS,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.idleTimeoutMs ?? options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      // SNI and certificate verification are undici's defaults; a private CA is trusted on top of the public ones.
      ...(options.ca ? { connect: { ca: options.ca } } : {}),
    };
    this.pool = new Pool(options.origin.origin, { ...this.clientOptions, connections: ORIGIN_MAX_CONNECTIONS });
  }

  async forward(req: IncomingMessage, res: ServerResponse, info: ForwardedInfo, publicBase: string, url: URL): Promise<ForwardOutcome> {
    const headers = originRequestHeaders(req, info);
    const hasBody = req.headers['content-length'] !== undefined
      ? req.headers['content-length'] !== '0'
      : req.headers['transfer-encoding'] !== undefined || http2HasBody(req);

    // A GET or HEAD that failed before any response byte on a reused keep-alive
    // socket (the origin closed it as the request went out: nginx does so after
    // keepalive_requests or its timeout) is sent once more on a new connection.
    const retryable = !hasBody && (req.method === 'GET' || req.method === 'HEAD');
    let result = await this.dispatchOnce(req, res, headers, hasBody, publicBase, url);
    if (retryable && !result.ok && !result.sawHeaders && !result.clientGone && isStaleSocketError(result.error)) {
      this.logger.debug({ err: result.error.message, requestId: info.requestId }, 'origin closed a reused connection: retrying once');
      // On a connection of its own: under load the pool can hold several sockets the origin already closed.
      const fresh = new Client(this.origin.origin, this.clientOptions);
      try {
        result = await this.dispatchOnce(req, res, headers, hasBody, publicBase, url, fresh);
      } finally {
        void fresh.close().catch(() => fresh.destroy());
      }
    }

    if (result.ok) return 'ok';
    if (result.clientGone) return 'client-aborted';
    if (result.sawHeaders) {
      this.logger.warn({ err: result.error.message, requestId: info.requestId }, 'response body failed mid-stream');
      res.destroy();
      return 'origin-error';
    }
    return this.failed(result.error, res, info, false);
  }

  private dispatchOnce(
    req: IncomingMessage, res: ServerResponse, headers: string[], hasBody: boolean, publicBase: string, url: URL, dispatcher: Dispatcher = this.pool,
  ): Promise<RelayResult> {
    return new Promise<RelayResult>((settle) => {
      const relay = new ResponseRelay(res, (statusCode, originHeaders) => {
        const headersOut = clientResponseHeaders(originHeaders, this.origin, publicBase);
        const bodyless = req.method === 'HEAD' || statusCode === 204 || statusCode === 304;
        const rewrite = bodyless ? undefined : this.rewriteResponse?.({ req, url, statusCode, headers: headersOut, publicBase });
        res.writeHead(statusCode, rewrite?.headers ?? headersOut);
        if (!rewrite) return res;
        pipeline(rewrite.transform, res, (err) => {
          if (err && !res.destroyed) res.destroy(err);
        });
        return rewrite.transform;
      }, settle);
      dispatcher.dispatch({
        origin: this.origin.origin,
        path: req.url ?? '/',
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: hasBody ? req : null,
      }, relay);
    });
  }

  private failed(err: unknown, res: ServerResponse, info: ForwardedInfo, aborted: boolean): ForwardOutcome {
    if (aborted) return 'client-aborted';
    const code = (err as { code?: string }).code;
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.ConnectTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') {
      sendErrorPage(res, 'PC_ERR_ORIGIN_TIMEOUT', info.requestId);
      return 'origin-timeout';
    }
    this.logger.warn({ err: (err as Error).message, code, requestId: info.requestId }, 'origin request failed');
    // The origin answered, but not in HTTP we can parse: not the same fault as a refused connection.
    if (err instanceof undiciErrors.HTTPParserError || code?.startsWith('HPE_')) {
      sendErrorPage(res, 'PC_ERR_ORIGIN_PROTOCOL', info.requestId);
      return 'origin-error';
    }
    sendErrorPage(res, 'PC_ERR_ORIGIN_UNREACHABLE', info.requestId);
    return 'origin-unreachable';
  }

  /** Whether the origin answers at all (for /readyz). */
  async probe(timeoutMs: number): Promise<boolean> {
    try {
      const { body } = await this.pool.request({
        path: '/', method: 'HEAD', headersTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs),
      });
      body.resume();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.pool.close().catch(() => this.pool.destroy());
  }
}


/** An HTTP/2 request has a body without Content-Length unless its HEADERS frame ended the stream. */
function http2HasBody(req: IncomingMessage): boolean {
  const stream = (req as { stream?: { endAfterHeaders?: boolean } }).stream;
  return req.httpVersionMajor === 2 && stream?.endAfterHeaders === false;
}

