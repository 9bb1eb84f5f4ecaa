import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { WebSocketServer } from 'ws';

export const sha256 = (bytes: Buffer | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Deterministic binary bodies of the sizes the proxy tests check. */
export const BINARY_SIZES = { empty: 0, one: 1, mib: 1024 * 1024, big: 50 * 1024 * 1024 } as const;

/**
 * A Node origin with the awkward cases a reverse proxy must get right: binaries,
 * ranges, ETags, gzip, chunked bodies, echo of POST bodies and headers, cookies,
 * redirects, a hanging route and a WebSocket echo. Records sockets so tests can
 * see when the proxy closes them.
 */
export class TestOrigin {
  readonly server: Server;
  readonly files = new Map<string, Buffer>();
  readonly sockets = new Set<Socket>();
  readonly closedSockets: Socket[] = [];
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  url!: URL;

  constructor() {
    for (const [name, size] of Object.entries(BINARY_SIZES)) this.files.set(`/bin/${name}`, randomBytes(size));
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.closedSockets.push(socket);
      });
    });
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      });
    });
  }

  async listen(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
    return this.url;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://origin');
    const file = this.files.get(url.pathname);
    if (file) return this.serveFile(req, res, file);
    switch (url.pathname) {
      case '/echo': {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
        });
        req.on('end', () => {
          const body = JSON.stringify({ method: req.method, bytes, sha256: hash.digest('hex'), headers: req.headers, rawHeaders: req.rawHeaders });
          res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        });
        return;
      }
      case '/gzip': {
        const body = gzipSync(Buffer.from('compressed text '.repeat(1000)));
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': body.length });
        res.end(body);
        return;
      }
      case '/chunked': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        let i = 0;
        const timer = setInterval(() => {
          res.write(Buffer.alloc(1000, i));
          if (++i === 10) {
            clearInterval(timer);
            res.end();
          }
        }, 5);
        return;
      }
      case '/cookies':
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
        res.setHeader('x-multi', ['one', 'two']);
        res.writeHead(200, { 'content-type': 'text/plain', connection: 'x-secret-hop', 'x-secret-hop': 'drop me', 'keep-alive': 'timeout=5' });
        res.end('ok');
        return;
      case '/redirect':
        res.writeHead(302, { location: `${this.url.origin}/landing?x=1`, 'content-location': `${this.url.origin}/here` }).end();
        return;
      case '/redirect-elsewhere':
        res.writeHead(302, { location: 'http://example.invalid/away' }).end();
        return;
      case '/hang':
        return; // never answers: the proxy must time out
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(64 * 1024));
        return; // headers and some bytes, then silence
      case '/stream-forever': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 2);
        res.on('close', () => clearInterval(timer));
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, file: Buffer): void {
    const etag = `"${sha256(file).slice(0, 16)}"`;
    const headers = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes', 'cache-control': 'max-age=60' };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), file.length - 1) : file.length - 1;
      if (start >= file.length) {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${file.length}` }).end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${file.length}`, 'content-length': end - start + 1 });
      res.end(file.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': file.length });
    res.end(file);
  }
}
