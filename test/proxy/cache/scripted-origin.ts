import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A Node origin whose answers each test sets per path, logging every request it gets. */
export class ScriptedOrigin {
  readonly log: { path: string; method: string; headers: IncomingHttpHeaders }[] = [];
  private readonly handlers = new Map<string, Handler>();
  private readonly server: Server = createServer((req, res) => {
    this.log.push({ path: req.url ?? '', method: req.method ?? '', headers: req.headers });
    const handler = this.handlers.get((req.url ?? '').split('?')[0]!);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });

  on(path: string, handler: Handler): void {
    this.handlers.set(path, handler);
  }

  /** A fixed body with the given headers (ETag answered with 304 when the request matches it). */
  serve(path: string, body: Buffer, headers: Record<string, string>): void {
    this.on(path, (req, res) => {
      if (headers.etag !== undefined && req.headers['if-none-match'] === headers.etag) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, { 'content-length': body.length, ...headers }).end(body);
    });
  }

  requestsFor(path: string): { path: string; method: string; headers: IncomingHttpHeaders }[] {
    return this.log.filter((entry) => entry.path === path);
  }

  async listen(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
