import { PeerConnection, type DataChannel, type IceServer as NativeIceServer } from 'node-datachannel';
import { PEER_CHANNEL_LABEL } from '../../protocol/peer-wire.js';
import type { IceServer } from '../../protocol/signal-messages.js';

/** The answer waits this long for ICE gathering to finish before it goes out with what was found. */
export const GATHER_TIMEOUT_MS = 2_000;
/** A session that has not connected by then is dropped. */
export const CONNECT_TIMEOUT_MS = 20_000;

/**
 * Makes the seeder the DTLS server. As the default active side it sends its
 * ClientHello the moment ICE connects on its end, often before the offerer has
 * applied the answer. Chromium copes, but a libdatachannel offerer (a Node peer)
 * drops the hello and waits for DTLS's 1 s retransmit, or fails outright. An
 * offer with `actpass` lets the answerer pick; reading it as `active` makes
 * libdatachannel answer `passive`, so the offerer starts DTLS when it is ready.
 * Measured on loopback: Node offerer ~1 s → ~15 ms; Chromium unchanged (~60-170 ms).
 */
export function preferPassiveDtls(offerSdp: string): string {
  return offerSdp.replace(/^a=setup:actpass(\r?)$/gm, 'a=setup:active$1');
}

const ICE_URL = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[^:?@/\s]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/;

/**
 * RTCIceServer entries → node-datachannel's object form. Its URL-string form
 * (`turn:user:pass@host`) cannot carry a minted username, which contains a
 * colon (`<expiry>:<peer id>`), so every entry is spelled out. stuns: is not
 * supported by libdatachannel and is left out, as are URLs it could not parse.
 */
export function toNativeIceServers(servers: readonly IceServer[]): NativeIceServer[] {
  const out: NativeIceServer[] = [];
  for (const server of servers) {
    for (const url of typeof server.urls === 'string' ? [server.urls] : server.urls) {
      const match = ICE_URL.exec(url);
      if (!match) continue;
      const [, scheme, host = '', port, transport] = match;
      const hostname = host.replace(/^\[|\]$/g, '');
      if (scheme === 'stun') out.push({ hostname, port: Number(port ?? 3478) });
      else if ((scheme === 'turn' || scheme === 'turns') && server.username !== undefined && server.credential !== undefined) {
        out.push({
          hostname,
          port: Number(port ?? (scheme === 'turns' ? 5349 : 3478)),
          username: server.username,
          password: server.credential,
          relayType: scheme === 'turns' ? 'TurnTls' : transport === 'tcp' ? 'TurnTcp' : 'TurnUdp',
        });
      }
    }
  }
  return out;
}

export type SessionSignal =
  | { type: 'answer'; sdp: string }
  | { type: 'candidate'; candidate: string; mid: string };

export interface ChannelSessionOptions {
  name: string;
  /** RTCIceServer entries as browsers get them (welcome or config). */
  iceServers: readonly IceServer[];
  /** Restricts ICE candidates to one local address (tests on loopback). */
  bindAddress?: string;
  signal: (message: SessionSignal) => void;
  onChannel: (channel: DataChannel) => void;
  onClose: () => void;
}

/**
 * The seeder's side of one WebRTC connection a browser offered (native
 * node-datachannel API): answers the offer, keeps the connection's data channels
 * referenced and hands each to `onChannel` (a ChannelServer serves it). The answer carries every candidate gathered in time, so a browser that
 * ignores trickled candidates still connects; later candidates are trickled.
 */
export class ChannelSession {
  private readonly pc: PeerConnection;
  private readonly channels = new Set<DataChannel>();
  private answered = false;
  private gatherTimer: NodeJS.Timeout | undefined;
  private readonly connectTimer: NodeJS.Timeout;
  destroyed = false;

  constructor(private readonly options: ChannelSessionOptions) {
    this.pc = new PeerConnection(options.name, {
      iceServers: toNativeIceServers(options.iceServers),
      ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
    });
    this.connectTimer = setTimeout(() => {
      if (this.pc.state() !== 'connected') this.destroy();
    }, CONNECT_TIMEOUT_MS);
    this.connectTimer.unref();
    this.pc.onLocalCandidate((candidate, mid) => {
      if (this.answered && !this.destroyed) options.signal({ type: 'candidate', candidate, mid });
    });
    this.pc.onGatheringStateChange((state) => {
      if (state === 'complete') this.sendAnswer();
    });
    this.pc.onLocalDescription((_sdp, type) => {
      if (type !== 'answer' || this.answered || this.destroyed) return;
      this.gatherTimer = setTimeout(() => this.sendAnswer(), GATHER_TIMEOUT_MS);
      this.gatherTimer.unref();
    });
    this.pc.onStateChange((state) => {
      if (state === 'connected') clearTimeout(this.connectTimer);
      if (state === 'failed' || state === 'closed' || state === 'disconnected') this.destroy();
    });
    this.pc.onDataChannel((dc) => {
      if (this.destroyed || dc.getLabel() !== PEER_CHANNEL_LABEL) {
        dc.close();
        return;
      }
      // node-datachannel needs a live reference or the channel may be collected mid-transfer.
      this.channels.add(dc);
      dc.onClosed(() => this.channels.delete(dc));
      options.onChannel(dc);
    });
  }

  acceptOffer(sdp: string): void {
    if (this.destroyed) return;
    this.pc.setRemoteDescription(preferPassiveDtls(sdp), 'offer');
  }

  addCandidate(candidate: string, mid: string): void {
    if (this.destroyed || candidate === '') return;
    try {
      this.pc.addRemoteCandidate(candidate, mid);
    } catch {
      // A malformed candidate from a browser is ignored: the others may still work.
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.connectTimer);
    clearTimeout(this.gatherTimer);
    for (const dc of this.channels) {
      try {
        dc.close();
      } catch {
        // already closed
      }
    }
    this.channels.clear();
    try {
      this.pc.close();
    } catch {
      // already closed
    }
    this.options.onClose();
  }

  private sendAnswer(): void {
    if (this.answered || this.destroyed) return;
    const local = this.pc.localDescription();
    if (!local || local.type !== 'answer') return;
    this.answered = true;
    clearTimeout(this.gatherTimer);
    this.options.signal({ type: 'answer', sdp: local.sdp });
  }
}
