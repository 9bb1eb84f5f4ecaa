import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AcmeChallengeHandler } from '../../core/feature.js';

export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
const HOST_PATTERN = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
const KEEP_ALIVE_MS = 5_000;

export interface HttpRedirectOptions {
  /** The HTTPS port visitors are sent to (443 is left out of the URL). */
  httpsPort: () => number;
  /** PUBLIC_URL when it is https: redirects go to its origin instead of the Host header's name. */
  publicUrl: string | undefined;
  /** Answers HTTP-01 challenges; undefined while no ACME client runs. */
  challenge: () => AcmeChallengeHandler | undefined;
}

/**
 * The plain-HTTP listener beside the HTTPS one (HTTP_PORT): 301 to the same path
 * over HTTPS, except ACME HTTP-01 challenges, which must be answered over HTTP.
 */
export class HttpRedirectListener {
  readonly server: Server;

  constructor(private readonly options: HttpRedirectOptions) {
    this.server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => this.onRequest(req, res));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  listen(port: number, host: string): Promise<URL> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.address());
      });
    });
  }

  address(): URL {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new URL(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    if (path.startsWith(ACME_CHALLENGE_PREFIX)) {
      const token = path.slice(ACME_CHALLENGE_PREFIX.length).split('?')[0] ?? '';
      const answer = TOKEN_PATTERN.test(token) ? this.options.challenge()?.(token) : undefined;
      if (answer === undefined) return plain(res, 404, 'Not Found\n');
      return plain(res, 200, answer);
    }
    const target = this.target(req, path);
    if (!target) return plain(res, 400, 'Bad Request\n');
    res.writeHead(301, { location: target, 'content-type': 'text/plain; charset=utf-8', 'content-length': 0, 'cache-control': 'no-store' });
    res.end();
  }

  private target(req: IncomingMessage, path: string): string | undefined {
    if (!path.startsWith('/')) return undefined;
    const publicUrl = this.options.publicUrl;
    if (publicUrl !== undefined && publicUrl.startsWith('https:')) return new URL(publicUrl).origin + path;
    const host = req.headers.host;
    if (host === undefined || !HOST_PATTERN.test(host)) return undefined;
    const hostname = host.replace(/:\d{1,5}$/, '');
    const port = this.options.httpsPort();
    return `https://${hostname}${port === 443 ? '' : `:${port}`}${path}`;
  }
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
