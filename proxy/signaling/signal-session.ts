import type { WebSocket } from 'ws';
import type { AssetId, NatKind, PeerId, PeerRole, ServerMessage } from '../../protocol/signal-messages.js';
import { TokenBucket } from '../../core/utils/token-bucket.js';
import type { PeerLocation } from './pairing.js';
import { StrikeCounter } from './strike-policy.js';

/** Holders one peer may have been handed and not yet used (oldest forgotten first). */
const MAX_OFFERED = 512;
/** Peers one browser may be exchanging SDP with at once. */
const MAX_PARTNERS_BROWSER = 64;
const MAX_PARTNERS_SEEDER = 8_192;
/** `bad-peer` reports kept per reporter. */
const MAX_BLOCKED = 256;
/** Downloads a peer may be waiting on at once (for releasing upload slots). */
const MAX_AWAITING = 512;
/** Close a socket whose unsent backlog exceeds this: it is not reading. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Server-side state of one `/signal` connection, held in the server's session
 * table by peer id rather than hung on the ws object (relays address peers by
 * id, and the ws object belongs to the library).
 */
export class SignalSession implements PeerLocation {
  role: PeerRole = 'browser';
  network: string;
  country?: string;
  asn?: number;
  /** The NAT kind this peer's client reported (`nat`); undefined until then. */
  nat: NatKind | undefined;
  /** `link` reports accepted from this peer (only the first few feed connectivity learning). */
  linkReports = 0;
  /** Messages handled; a hello is accepted only first. */
  messages = 0;
  readonly strikes = new StrikeCounter();
  alive = true;
  closed = false;
  lastServedAt = 0;
  readonly bucket: TokenBucket;
  /** Holders the server handed to this peer: it may send them an offer. */
  readonly offered = new Set<PeerId>();
  /** Peers in an offer/answer exchange with this one, both directions. */
  readonly partners = new Set<PeerId>();
  /** asset → holders this peer reported bad for it. */
  readonly blocked = new Map<AssetId, Set<PeerId>>();
  /** Upload slots this peer (as a holder) is using: `${asker} ${asset}` → expiry (ms). */
  readonly uploads = new Map<string, number>();
  /** asset → holders handed to this peer for it, whose slots free on its `have`. */
  readonly awaiting = new Map<AssetId, PeerId[]>();

  constructor(
    readonly id: PeerId,
    readonly ws: WebSocket,
    readonly address: string,
    location: PeerLocation,
    bucket: { capacity: number; ratePerSec: number; now: number },
  ) {
    this.network = location.network;
    if (location.country !== undefined) this.country = location.country;
    if (location.asn !== undefined) this.asn = location.asn;
    this.bucket = new TokenBucket(bucket.capacity, bucket.ratePerSec, bucket.now);
  }

  send(message: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.terminate();
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  addOffered(id: PeerId): void {
    this.offered.delete(id);
    this.offered.add(id);
    trimOldest(this.offered, MAX_OFFERED);
  }

  addPartner(id: PeerId): void {
    this.partners.delete(id);
    this.partners.add(id);
    trimOldest(this.partners, this.role === 'seeder' ? MAX_PARTNERS_SEEDER : MAX_PARTNERS_BROWSER);
  }

  block(asset: AssetId, peer: PeerId): void {
    let peers = this.blocked.get(asset);
    if (!peers) {
      if (this.blocked.size >= MAX_BLOCKED) this.blocked.delete(this.blocked.keys().next().value as AssetId);
      peers = new Set();
      this.blocked.set(asset, peers);
    }
    peers.add(peer);
    trimOldest(peers, MAX_BLOCKED);
  }

  expect(asset: AssetId, holders: readonly PeerId[]): void {
    if (holders.length === 0) return;
    this.awaiting.delete(asset);
    this.awaiting.set(asset, [...holders]);
    if (this.awaiting.size > MAX_AWAITING) this.awaiting.delete(this.awaiting.keys().next().value as AssetId);
  }

  /** Upload slots still running; expired ones are forgotten. */
  activeUploads(now: number): number {
    for (const [key, expiresAt] of this.uploads) {
      if (expiresAt <= now) this.uploads.delete(key);
    }
    return this.uploads.size;
  }
}

function trimOldest<T>(set: Set<T>, max: number): void {
  while (set.size > max) set.delete(set.values().next().value as T);
}
