import WebSocket from 'ws';
import type { Logger } from 'pino';
import {
  MAX_SIGNAL_MESSAGE_BYTES, SIGNAL_PROTOCOL_VERSION, parseServerMessage, SignalProtocolError, type ClientMessage, type IceServer, type ServerMessage,
} from '../../protocol/signal-messages.js';

export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 10_000;
export const HANDSHAKE_TIMEOUT_MS = 5_000;
/** After `bye`, the socket gets this long to close politely before it is cut. */
export const CLOSE_GRACE_MS = 1_000;

export interface SeederSignalClientOptions {
  /** `ws(s)://<proxy>/<prefix>/signal` */
  url: string;
  token?: string;
  logger?: Logger;
  onMessage: (message: ServerMessage, send: (message: ClientMessage) => void) => void;
  onWelcome?: (id: string, iceServers: IceServer[]) => void;
}

/**
 * The seeder's connection to the proxy's signaling, as `role: 'seeder'`.
 * Reconnects with capped exponential backoff until closed.
 */
export class SeederSignalClient {
  private ws: WebSocket | undefined;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  peerId: string | undefined;

  constructor(private readonly options: SeederSignalClientOptions) {}

  start(): void {
    if (this.closed || this.ws) return;
    const ws = new WebSocket(this.options.url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS, maxPayload: MAX_SIGNAL_MESSAGE_BYTES });
    this.ws = ws;
    const send = (message: ClientMessage): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    };
    ws.on('open', () => {
      send({ v: SIGNAL_PROTOCOL_VERSION, type: 'hello', role: 'seeder', ...(this.options.token ? { token: this.options.token } : {}) });
    });
    ws.on('message', (data, isBinary) => {
      // After close() the socket lingers up to CLOSE_GRACE_MS: nothing it says is acted on.
      if (isBinary || this.closed) return;
      let message: ServerMessage;
      try {
        message = parseServerMessage(data.toString());
      } catch (err) {
        this.options.logger?.warn({ err: err instanceof SignalProtocolError ? err.message : err }, 'bad signaling message');
        return;
      }
      if (message.type === 'welcome') {
        this.retryMs = RECONNECT_MIN_MS;
        this.peerId = message.id;
        this.options.onWelcome?.(message.id, message.iceServers);
        return;
      }
      if (message.type === 'error') {
        // A refused hello (no or wrong ADMIN_TOKEN from a non-loopback address) leaves the
        // seeder connected but unregistered: say so loudly, it never gets offers then.
        const refused = (message.code as string) === 'unauthorized';
        if (refused) this.peerId = undefined;
        this.options.logger?.[refused ? 'error' : 'warn']({ code: message.code, message: message.message },
          refused ? 'signaling refused the seeder (check ADMIN_TOKEN)' : 'signaling error');
        return;
      }
      this.options.onMessage(message, send);
    });
    ws.on('error', (err) => this.options.logger?.debug({ err: err.message }, 'signaling socket error'));
    ws.on('close', () => {
      if (this.ws === ws) this.ws = undefined;
      this.peerId = undefined;
      this.scheduleReconnect();
    });
  }

  get connected(): boolean {
    return this.peerId !== undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ v: SIGNAL_PROTOCOL_VERSION, type: 'bye' }));
      ws.close(1000);
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    } else {
      ws.terminate();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    this.retryTimer = setTimeout(() => this.start(), delay);
    this.retryTimer.unref();
  }
}
