import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Metrics } from '../../core/metrics.js';

export type TrafficKind = 'html' | 'media' | 'other' | 'p2p';

export function trafficKind(pathname: string, prefix: string, contentType: string): TrafficKind {
  if (pathname === prefix || pathname.startsWith(prefix + '/')) return 'p2p';
  const type = contentType.toLowerCase();
  if (type.startsWith('text/html') || type.startsWith('application/xhtml+xml')) return 'html';
  if (type.startsWith('image/') || type.startsWith('video/') || type.startsWith('audio/')) return 'media';
  return 'other';
}

/**
 * Counts bytes sent to clients by kind, from the socket's byte counter rather than
 * by wrapping `res.write`: it sees every byte (headers included) whatever code
 * writes the response. Registered before the server's own handler so the start
 * count is taken before anything is written; pipelined requests, rare in
 * practice, may be attributed to the neighbouring response.
 */
export function meterTraffic(server: Server, prefix: string, metrics: Metrics): () => void {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor === 2) return meterHttp2(req, res, prefix, metrics);
    const socket = req.socket;
    const start = socket.bytesWritten;
    res.once('close', () => {
      const sent = socket.bytesWritten - start;
      if (sent <= 0) return;
      const pathname = (req.url ?? '/').split('?')[0] ?? '/';
      const contentType = String(res.getHeader('content-type') ?? '');
      metrics.bytesToClients.inc({ kind: trafficKind(pathname, prefix, contentType) }, sent);
    });
  };
  server.prependListener('request', onRequest);
  return () => server.off('request', onRequest);
}

/**
 * HTTP/2 streams share one socket and its compatibility `req.socket` has no byte
 * counter, so response body bytes are counted as they are written (headers,
 * HPACK-compressed and small, are left out).
 */
function meterHttp2(req: IncomingMessage, res: ServerResponse, prefix: string, metrics: Metrics): void {
  let sent = 0;
  const count = (chunk: unknown, encoding?: unknown): void => {
    if (typeof chunk === 'string') sent += Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8');
    else if (chunk instanceof Uint8Array) sent += chunk.byteLength;
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    count(args[0], args[1]);
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    return end(...args);
  }) as ServerResponse['end'];
  res.once('close', () => {
    if (sent <= 0) return;
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    metrics.bytesToClients.inc({ kind: trafficKind(pathname, prefix, String(res.getHeader('content-type') ?? '')) }, sent);
  });
}
