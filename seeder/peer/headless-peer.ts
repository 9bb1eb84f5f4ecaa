import type { Logger } from 'pino';
import { SIGNAL_PROTOCOL_VERSION, type ClientMessage, type IceServer, type ServerMessage } from '../../protocol/signal-messages.js';
import { ChannelServer } from './channel-server.js';
import type { AssetOpenResult } from './asset-source.js';
import { ChannelSession } from './channel-session.js';
import { UploadBudget } from './upload-budget.js';

export interface HeadlessPeerOptions {
  open: (asset: string, url: string) => Promise<AssetOpenResult>;
  /** Until signaling's `welcome` brings the list for this peer (setIceServers). */
  iceServers: IceServer[];
  uploadBytesPerSec: number;
  maxPeers: number;
  bindAddress?: string;
  logger?: Logger;
  onBytes?: (bytes: number) => void;
}

/**
 * The seeder's data-channel side: answers browsers' offers (relayed by
 * signaling) and serves the assets they request. Transport-agnostic: signaling
 * messages come in through `handle` and go out through the `send` callback.
 */
export class HeadlessPeer {
  private readonly sessions = new Map<string, ChannelSession>();
  private readonly servers = new Set<ChannelServer>();
  private readonly budget: UploadBudget;
  private closed = false;
  private iceServers: IceServer[];

  constructor(private readonly options: HeadlessPeerOptions) {
    this.budget = new UploadBudget(options.uploadBytesPerSec);
    this.iceServers = options.iceServers;
  }

  /**
   * The ICE servers of the seeder's own `welcome` (minted TURN credentials, the
   * built-in STUN responder): used by every session answered from now on.
   */
  setIceServers(servers: IceServer[]): void {
    this.iceServers = servers;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  handle(message: ServerMessage, send: (message: ClientMessage) => void): void {
    if (this.closed) return;
    switch (message.type) {
      case 'offer':
        return this.onOffer(message.from, message.session, message.sdp, send);
      case 'candidate':
        return this.sessions.get(key(message.from, message.session))?.addCandidate(message.candidate, message.mid);
      case 'peer-gone':
        for (const [k, session] of this.sessions) if (k.startsWith(`${message.peer}/`)) session.destroy();
        return;
      default:
        return;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const server of this.servers) server.destroy();
    for (const session of [...this.sessions.values()]) session.destroy();
  }

  private onOffer(from: string, sessionId: string, sdp: string, send: (message: ClientMessage) => void): void {
    const k = key(from, sessionId);
    if (this.sessions.has(k)) return;
    if (this.sessions.size >= this.options.maxPeers) {
      // The browser's deadline runs out and it falls back to HTTP or another holder.
      this.options.logger?.warn({ peers: this.sessions.size }, 'seeder at its peer limit: offer ignored');
      return;
    }
    const session = new ChannelSession({
      name: `seeder-${k}`,
      iceServers: this.iceServers,
      bindAddress: this.options.bindAddress,
      signal: (signal) => {
        if (signal.type === 'answer') send({ v: SIGNAL_PROTOCOL_VERSION, type: 'answer', to: from, session: sessionId, sdp: signal.sdp });
        else send({ v: SIGNAL_PROTOCOL_VERSION, type: 'candidate', to: from, session: sessionId, candidate: signal.candidate, mid: signal.mid });
      },
      onChannel: (dc) => {
        const server = new ChannelServer(dc, {
          open: this.options.open,
          budget: this.budget,
          onBytes: this.options.onBytes,
          onWarning: (msg) => this.options.logger?.warn({ peer: from }, msg),
          onClose: () => this.servers.delete(server),
        });
        this.servers.add(server);
      },
      onClose: () => {
        if (this.sessions.get(k) === session) this.sessions.delete(k);
      },
    });
    this.sessions.set(k, session);
    try {
      session.acceptOffer(sdp);
    } catch (err) {
      this.options.logger?.warn({ err, peer: from }, 'bad offer');
      session.destroy();
    }
  }
}

function key(peer: string, session: string): string {
  return `${peer}/${session}`;
}
