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
