import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJsonError } from '../../core/http/error-response.js';
import type { Logger } from '../../core/logger.js';
import type { Feature } from '../../core/feature.js';
import type { ClientBundle } from './client-bundle.js';
import type { P2pRouter } from './router.js';

/** Fixed names the client imports; revalidated hourly since the names carry no hash. */
export const WEBTORRENT_VENDOR_FILE = 'webtorrent.min.js';
export const STREAM_WORKER_PATH = 'sw.min.js';
const VENDOR_CACHE_CONTROL = 'public, max-age=3600';
const JS = 'text/javascript; charset=utf-8';

export interface MediaVendorOptions {
  router: P2pRouter;
  clientBundle: ClientBundle;
  logger: Logger;
}

/**
 * WebTorrent's browser build for media pages (`<prefix>/vendor/webtorrent.min.js`,
 * imported lazily by the client) and its streaming Service Worker at
 * `<prefix>/sw.min.js`. The worker is sent with `Service-Worker-Allowed: /` so
 * the client may register it for scope `/`: it must control the page for
 * `<video>` requests to reach it. The client never registers it over a site's
 * own worker.
 */
export class MediaVendor implements Feature {
  readonly name = 'media-vendor';
  private worker: { body: Buffer; etag: string } | undefined;

  constructor(private readonly options: MediaVendorOptions) {
    options.router.route(STREAM_WORKER_PATH, (req, res) => this.serveWorker(req, res));
  }

  ready(): boolean {
    return true;
  }

  async start(): Promise<void> {
    const require = createRequire(import.meta.url);
    try {
      const [lib, worker] = await Promise.all([
        readFile(require.resolve('webtorrent/dist/webtorrent.min.js')),
        readFile(require.resolve('webtorrent/dist/sw.min.js')),
      ]);
      this.options.clientBundle.addVendorFile(WEBTORRENT_VENDOR_FILE, lib, JS, VENDOR_CACHE_CONTROL);
      this.worker = { body: worker, etag: `"${createHash('sha256').update(worker).digest('hex').slice(0, 16)}"` };
    } catch (err) {
      // Media then plays over HTTP: the client falls back when the import fails.
      this.options.logger.warn({ err }, 'WebTorrent browser build not found: video/audio stay on HTTP');
    }
  }

  private serveWorker(req: IncomingMessage, res: ServerResponse): void {
    if (!this.worker) {
      return sendJsonError(res, 'PC_ERR_NOT_FOUND');
    }
    const headers = {
      'content-type': JS,
      'cache-control': 'no-cache',
      'service-worker-allowed': '/',
      etag: this.worker.etag,
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === this.worker.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': this.worker.body.length });
    res.end(req.method === 'HEAD' ? undefined : this.worker.body);
  }
}
