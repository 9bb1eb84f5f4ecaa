import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { clientAddress } from '../http/client-address.js';
import { sendJsonError } from '../../core/http/error-response.js';
import type { Logger } from '../../core/logger.js';
import type { P2pRouter } from '../routes/router.js';

const ADMIN_KEEP_ALIVE_MS = 5_000;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * A second HTTP listener that serves only the admin router (metrics, stats,
 * dashboard), so operators can keep those off the public port entirely — e.g.
 * publish 8080 and leave the admin port on a private network for Prometheus.
 */
export class AdminListener {
  readonly httpServer: Server;
  private readonly idPrefix = `admin-${randomBytes(3).toString('hex')}`;
  private counter = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly router: P2pRouter,
    private readonly trustedProxies: ReadonlySet<string>,
    private readonly logger: Logger,
  ) {
    this.httpServer = createServer({ keepAliveTimeout: ADMIN_KEEP_ALIVE_MS }, (req, res) => void this.onRequest(req, res));
    this.httpServer.on('clientError', (_err, socket) => socket.destroy());
  }

  async listen(port: number, host: string): Promise<URL> {
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, host, () => {
        this.httpServer.off('error', reject);
        resolve();
      });
    });
    const address = this.httpServer.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new URL(`http://${hostPart === '0.0.0.0' ? '127.0.0.1' : hostPart}:${address.port}`);
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.httpServer.listening) return resolve();
      this.httpServer.close(() => resolve());
      this.httpServer.closeAllConnections();
    });
    return this.closing;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : `${this.idPrefix}-${(++this.counter).toString(36)}`;
    res.setHeader('x-request-id', requestId);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://placeholder');
    } catch {
      return sendJsonError(res, 'PC_ERR_BAD_REQUEST');
    }
    const subpath = this.router.match(url.pathname);
    if (subpath === undefined) return sendJsonError(res, 'PC_ERR_NOT_FOUND');
    try {
      await this.router.handle(req, res, {
        url, subpath, requestId,
        clientAddress: clientAddress(req, this.trustedProxies),
        publicBase: `http://${req.headers.host ?? 'localhost'}`,
      });
    } catch (err) {
      this.logger.error({ err, reqId: requestId, url: req.url }, 'admin request failed');
      sendJsonError(res, 'PC_ERR_INTERNAL', undefined, { fields: { requestId } });
    }
  }
}
