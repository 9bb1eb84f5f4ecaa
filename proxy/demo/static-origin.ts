import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { SiteFile } from './demo-site.js';

interface ServedFile extends SiteFile {
  etag: string;
  gzipped?: Buffer;
}

/**
 * A minimal static web server for the demo site: ETag/304, single Range, gzip
 * for text. It stands for "any legacy site" and is deliberately plain.
 */
export class StaticOrigin {
  readonly server: Server;
  private readonly files = new Map<string, ServedFile>();
  /** Paths requested, in order; tests read it as the origin's access log. */
  readonly accessLog: { method: string; path: string; userAgent: string | undefined }[] = [];
  private static readonly ACCESS_LOG_MAX = 100_000;

  constructor(site: Map<string, SiteFile>) {
    for (const [path, file] of site) {
      const etag = `"${createHash('sha1').update(file.body).digest('hex').slice(0, 16)}"`;
      const textual = /^(text\/|application\/(javascript|json))/.test(file.contentType);
      this.files.set(path, { ...file, etag, gzipped: textual ? gzipSync(file.body) : undefined });
    }
    this.server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (this.accessLog.length < StaticOrigin.ACCESS_LOG_MAX) {
        this.accessLog.push({ method: req.method ?? 'GET', path, userAgent: req.headers['user-agent'] });
      }
      const file = this.files.get(path === '/' ? '/index.html' : path);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const base = {
        'content-type': file.contentType,
        etag: file.etag,
        'accept-ranges': 'bytes',
        'cache-control': 'public, max-age=60',
        vary: 'accept-encoding',
      };
      if (req.headers['if-none-match'] === file.etag) {
        res.writeHead(304, base).end();
        return;
      }
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const size = file.body.length;
        let start = range[1] === '' ? size - Number(range[2]) : Number(range[1]);
        let end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
        start = Math.max(0, start);
        if (start > end || start >= size) {
          res.writeHead(416, { ...base, 'content-range': `bytes */${size}` }).end();
          return;
        }
        res.writeHead(206, { ...base, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
        res.end(req.method === 'HEAD' ? undefined : file.body.subarray(start, end + 1));
        return;
      }
      const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? (file.gzipped as Buffer) : file.body;
      res.writeHead(200, { ...base, 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    const address = this.server.address() as AddressInfo;
    return new URL(`http://${host}:${address.port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
