import {
  MAX_ASSETS_PER_MESSAGE, MAX_SIGNAL_MESSAGE_BYTES, SIGNAL_PROTOCOL_VERSION, parseServerMessage,
  type AssetId, type ClientMessage, type IceServer, type PeerId, type ServerMessage,
} from '../../protocol/signal-messages.js';
import { mark } from '../utils/marks.js';
import { RECONNECT_BASE_MS, RECONNECT_MAX_ATTEMPTS, RECONNECT_SPREAD_MS, RECONNECT_STABLE_MS, reconnectDelayMs } from './backoff.js';

/** How long the socket may take to open and say `welcome`. */
export const SIGNAL_CONNECT_TIMEOUT_MS = 4_000;

export interface SignalHandlers {
  onMessage(message: ServerMessage): void;
  /** Every `welcome`, the first one and each after a reconnect (a new id and fresh ICE servers). */
  onWelcome(again: boolean): void;
  /** A welcomed session ended (`final`: no reconnect follows), or reconnecting gave up. */
  onClose(final: boolean): void;
}

/** The signaling WebSocket at `<prefix>/signal` on the page's own origin. */
export function signalUrl(loc: Location, prefix: string): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${prefix}/signal`;
}

/**
 * The signaling session of one page view, reconnecting with jittered
 * exponential backoff (see backoff.ts) until `close()`. `connect()` resolves
 * with our peer id at the first `welcome` and rejects if the first attempt
 * fails (reconnects go on in the background); invalid frames from the server
 * are dropped, never thrown into the page.
 */
export class SignalClient {
  id: PeerId | undefined;
  iceServers: IceServer[] = [];
  /** Milliseconds from opening the socket to `welcome` in the latest session. */
  rttMs: number | undefined;
  /** True once reconnecting has given up (or close() was called). */
  down = false;
  private ws: WebSocket | undefined;
  private closed = false;
  private welcomed = false;
  private attempt = 0;
  /** A welcomed session ended and no new one has been welcomed yet. */
  private lostSession = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private page = '';
  private first: { resolve(id: PeerId): void; reject(err: Error): void } | undefined;

  constructor(private readonly url: string, private readonly handlers: SignalHandlers) {}

  get ready(): boolean {
    return this.id !== undefined && !this.closed && this.ws?.readyState === WebSocket.OPEN;
  }

  connect(page: string): Promise<PeerId> {
    this.page = page;
    return new Promise<PeerId>((resolve, reject) => {
      this.first = { resolve, reject };
      this.open();
    });
  }

  private open(): void {
    if (this.closed) return;
    const started = performance.now();
    let welcomedAt: number | undefined;
    let ws: WebSocket | undefined;
    const end = (): void => {
      if (this.ws !== ws || this.closed) return;
      this.ws = undefined;
      this.id = undefined;
      clearTimeout(timer);
      try {
        ws?.close();
      } catch {
        // already gone
      }
      this.first?.reject(new Error('signaling unavailable'));
      this.first = undefined;
      if (welcomedAt !== undefined && performance.now() - welcomedAt >= RECONNECT_STABLE_MS) this.attempt = 0;
      const final = this.attempt >= RECONNECT_MAX_ATTEMPTS;
      if (final) this.down = true;
      if (welcomedAt !== undefined || final) this.handlers.onClose(final);
      // A lost session is the case a restart creates for every page at once: retry over the wider spread.
      if (welcomedAt !== undefined) this.lostSession = true;
      const baseMs = this.lostSession ? RECONNECT_SPREAD_MS : RECONNECT_BASE_MS;
      if (!final) this.retryTimer = setTimeout(() => this.open(), reconnectDelayMs(this.attempt++, Math.random, baseMs));
    };
    const timer = setTimeout(end, SIGNAL_CONNECT_TIMEOUT_MS);
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.ws = ws;
      end();
      return;
    }
    this.ws = ws;
    const socket = ws;
    socket.onopen = () => {
      mark('signal-open');
      this.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'hello', role: 'browser', page: this.page }, true);
    };
    socket.onerror = end;
    socket.onclose = end;
    socket.onmessage = (event) => {
      if (this.ws !== socket || typeof event.data !== 'string' || event.data.length > MAX_SIGNAL_MESSAGE_BYTES) return;
      let message: ServerMessage;
      try {
        message = parseServerMessage(event.data);
      } catch {
        return;
      }
      if (message.type !== 'welcome') return this.handlers.onMessage(message);
      if (welcomedAt !== undefined) return;
      welcomedAt = performance.now();
      mark('welcome');
      clearTimeout(timer);
      this.rttMs = welcomedAt - started;
      this.id = message.id;
      this.iceServers = message.iceServers;
      const again = this.welcomed;
      this.welcomed = true;
      this.lostSession = false;
      this.first?.resolve(message.id);
      this.first = undefined;
      this.handlers.onWelcome(again);
    };
  }

  /** Sends one frame; false when the socket is not usable. */
  send(message: ClientMessage, beforeWelcome = false): boolean {
    if (this.closed || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    if (!beforeWelcome && this.id === undefined) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** `have`/`want`/`lost` for any number of assets, split to the per-message limit. */
  sendAssets(type: 'have' | 'want' | 'lost', assets: AssetId[]): void {
    for (let i = 0; i < assets.length; i += MAX_ASSETS_PER_MESSAGE) {
      this.send({ v: SIGNAL_PROTOCOL_VERSION, type, assets: assets.slice(i, i + MAX_ASSETS_PER_MESSAGE) });
    }
  }

  /** Idempotent: says `bye`, closes the socket and stops reconnecting. */
  close(): void {
    if (this.closed) return;
    this.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'bye' }, true);
    this.closed = true;
    this.down = true;
    clearTimeout(this.retryTimer);
    this.first?.reject(new Error('signaling closed'));
    this.first = undefined;
    try {
      this.ws?.close();
    } catch {
      // already gone
    }
  }
}
