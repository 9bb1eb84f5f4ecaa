import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginFile {
  body: Buffer;
  contentType: string;
  /** Redirect instead of a body. */
  location?: string;
}

/**
 * A tiny origin for seeder tests: serves files from a map, counts GETs per path,
 * answers conditional requests with 304, can delay bodies (so concurrent requests
 * overlap) and redirect.
 */
export class CountingOrigin {
  readonly files = new Map<string, OriginFile>();
  readonly hits = new Map<string, number>();
  readonly conditionalHits = new Map<string, number>();
  delayMs = 0;
  /** Served for any path not in `files` (a site that answers every URL). */
  fallback: OriginFile | undefined;
  /** Requests being answered now, and the most at once. */
  active = 0;
  maxActive = 0;
  private readonly server: Server;
  url!: URL;

  constructor() {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      res.once('close', () => this.active--);
      const file = this.files.get(path) ?? this.fallback;
      if (!file) {
        res.writeHead(404, { 'content-length': 0 }).end();
        return;
      }
      if (file.location) {
        res.writeHead(302, { location: file.location, 'content-length': 0 }).end();
        return;
      }
      const etag = `"${createHash('sha1').update(file.body).digest('hex')}"`;
      if (req.headers['if-none-match']) {
        this.conditionalHits.set(path, (this.conditionalHits.get(path) ?? 0) + 1);
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { etag }).end();
          return;
        }
      }
      const send = (): void => {
        res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length, etag });
        res.end(file.body);
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    });
  }

  add(path: string, body: Buffer, contentType: string): this {
    this.files.set(path, { body, contentType });
    return this;
  }

  redirect(path: string, location: string): this {
    this.files.set(path, { body: Buffer.alloc(0), contentType: 'text/plain', location });
    return this;
  }

  /** GETs for every path. */
  get totalHits(): number {
    let sum = 0;
    for (const n of this.hits.values()) sum += n;
    return sum;
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async listen(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = new URL(`http://127.0.0.1:${port}`);
    return this.url;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Deterministic pseudo-random bytes (xorshift), so sizes and hashes are reproducible. */
export function pseudoRandomBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export { sha256 } from '../helpers/test-origin.js';
