import {
  MAX_ASSETS_PER_MESSAGE, MAX_SIGNAL_MESSAGE_BYTES, SIGNAL_PROTOCOL_VERSION, parseServerMessage,
  type AssetId, type ClientMessage, type IceServer, type PeerId, type ServerMessage,
} from '../../protocol/signal-messages.js';

/** How long the socket may take to open and say `welcome`. */
export const SIGNAL_CONNECT_TIMEOUT_MS = 4_000;

export interface SignalHandlers {
  onMessage(message: ServerMessage): void;
  /** The socket closed after having been ready (not called for a failed connect). */
  onClose(): void;
}

/** The signaling WebSocket at `<prefix>/signal` on the page's own origin. */
export function signalUrl(loc: Location, prefix: string): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${prefix}/signal`;
}

/**
 * One signaling session. `connect()` resolves with our peer id once the server
 * has welcomed us and rejects on error, close or timeout; invalid frames from
 * the server are dropped, never thrown into the page.
 */
export class SignalClient {
  id: PeerId | undefined;
  iceServers: IceServer[] = [];
  private ws: WebSocket | undefined;
  private closed = false;

  constructor(private readonly url: string, private readonly handlers: SignalHandlers) {}

  get ready(): boolean {
    return this.id !== undefined && !this.closed && this.ws?.readyState === WebSocket.OPEN;
  }

  connect(page: string): Promise<PeerId> {
    return new Promise<PeerId>((resolve, reject) => {
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.close();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail('signaling timeout'), SIGNAL_CONNECT_TIMEOUT_MS);
      let ws: WebSocket;
      try {
        ws = new WebSocket(this.url);
      } catch {
        fail('signaling unavailable');
        return;
      }
      this.ws = ws;
      ws.onopen = () => this.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'hello', role: 'browser', page }, true);
      ws.onerror = () => fail('signaling error');
      ws.onclose = () => {
        if (!settled) return fail('signaling closed');
        if (!this.closed) {
          this.closed = true;
          this.handlers.onClose();
        }
      };
      ws.onmessage = (event) => {
        if (typeof event.data !== 'string' || event.data.length > MAX_SIGNAL_MESSAGE_BYTES) return;
        let message: ServerMessage;
        try {
          message = parseServerMessage(event.data);
        } catch {
          return;
        }
        if (message.type === 'welcome' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.id = message.id;
          this.iceServers = message.iceServers;
          resolve(message.id);
          return;
        }
        this.handlers.onMessage(message);
      };
    });
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

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const ws = this.ws;
    if (!ws) return;
    try {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ v: SIGNAL_PROTOCOL_VERSION, type: 'bye' } satisfies ClientMessage));
      ws.close();
    } catch {
      // already gone
    }
  }
}
