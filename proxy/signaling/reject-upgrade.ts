import type { Duplex } from 'node:stream';

const REASONS: Record<number, string> = { 429: 'Too Many Requests', 503: 'Service Unavailable' };

/** Refuses a WebSocket upgrade with a bare HTTP status before any handshake. */
export function rejectUpgrade(socket: Duplex, status: 429 | 503): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Destroy only once the status line is flushed, or the client sees a bare reset.
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}
