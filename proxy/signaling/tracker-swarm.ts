import TrackerServer, { type TrackerPeer } from 'bittorrent-tracker/server';
import type { WebSocket } from 'ws';
import { proximity, type PeerLocation } from './pairing.js';

/** Where each tracker socket's client sits, by socket (set when the socket is accepted). */
export type LocateSocket = (socket: WebSocket) => PeerLocation | undefined;

/**
 * bittorrent-tracker picks the peers that receive a newcomer's WebRTC offers at
 * random. This swarm keeps the library's filtering (no self, WebRTC peers only)
 * but ranks them like signaling does: same network first, then same country,
 * random within a tier so load still spreads.
 */
export class ProximitySwarm extends TrackerServer.Swarm {
  private asker: PeerLocation | undefined;

  constructor(infoHash: string, server: TrackerServer, private readonly locate: LocateSocket) {
    super(infoHash, server);
  }

  override announce(params: Record<string, unknown> & { socket?: WebSocket }, cb?: (err: Error | null, response?: unknown) => void): void {
    // The library calls _getPeers synchronously inside announce, so the asker is known there.
    this.asker = params.socket ? this.locate(params.socket) : undefined;
    try {
      super.announce(params, cb);
    } finally {
      this.asker = undefined;
    }
  }

  override _getPeers(numwant: number, ownPeerId: string, isWebRTC: boolean): TrackerPeer[] {
    const asker = this.asker;
    if (!asker || !isWebRTC) return super._getPeers(numwant, ownPeerId, isWebRTC);
    const ranked: { peer: TrackerPeer; tier: number; tiebreak: number }[] = [];
    for (const key of this.peers.keys) {
      // peek, not get: choosing a peer must not refresh it in the swarm's LRU.
      const peer = this.peers.peek(key);
      // A peer whose socket already closed cannot take an offer (upstream would still pick it).
      if (!peer || peer.peerId === ownPeerId || peer.type !== 'ws' || peer.socket?.readyState !== 1) continue;
      const location = this.locate(peer.socket as WebSocket);
      ranked.push({ peer, tier: location ? proximity(asker, location) : Number.MAX_SAFE_INTEGER, tiebreak: Math.random() });
    }
    ranked.sort((a, b) => a.tier - b.tier || a.tiebreak - b.tiebreak);
    return ranked.slice(0, numwant).map((entry) => entry.peer);
  }
}
