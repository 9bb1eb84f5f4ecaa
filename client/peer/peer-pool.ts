import type { ClientMessage, PeerId, ServerMessage } from '../../protocol/signal-messages.js';
import { MAX_INFLIGHT_REQUESTS } from '../../protocol/peer-wire.js';
import { randomId } from '../utils/random-id.js';
import { LINK_BACKLOG_MS, LinkError, PeerLink, type PeerLinkOptions, type ServeDecision } from './peer-link.js';
import { priorsFrom, rankPeers, type LinkMeter, type PeerStanding, type Priors } from './link-score.js';

/** Most simultaneous links a page keeps (each is one RTCPeerConnection). */
export const MAX_LINKS = 16;
/** How long a peer whose connection could not form is not dialled again. */
export const UNREACHABLE_MS = 60_000;
/** Bound on the peers remembered as unreachable. */
const MAX_UNREACHABLE = 256;
/** Size assumed when ranking links for no asset in particular: a typical page image. */
export const TYPICAL_ASSET_BYTES = 100 * 1024;

/** How new links connect; see PeerLinkOptions. */
export type LinkIce = Pick<PeerLinkOptions, 'iceServers' | 'relayOnly' | 'deadlineMs'>;

export interface PeerPoolOptions {
  /** Settings for a new link; undefined while this page makes no peer connections (privacy without TURN). */
  ice(): LinkIce | undefined;
  signal(message: ClientMessage): void;
  serve(asset: string, url: string): ServeDecision;
  fault?: PeerLinkOptions['fault'];
}

/**
 * Every link of this page, keyed by WebRTC session. Outgoing requests reuse an
 * open (or opening) link to the same peer; a peer that sent bad bytes is banned
 * for the rest of the page view and all its links are closed.
 */
export class PeerPool {
  readonly banned = new Set<PeerId>();
  /** Peers whose connection could not form, with when: not dialled again for UNREACHABLE_MS. */
  private readonly unreachable = new Map<PeerId, { at: number; failure: LinkError }>();
  private readonly unreachableListeners = new Set<(failure: LinkError) => void>();
  private readonly sessions = new Map<string, PeerLink>();
  /** Measurements of links that closed after opening, newest last: the page's history for priors. */
  private readonly measured: LinkMeter[] = [];
  private closed = false;

  constructor(private readonly options: PeerPoolOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Peers with an open link (or, with `connecting`, one still opening) that has
   * a free pipeline slot, the one expected to deliver a `size`-byte asset
   * soonest first (its measured round trip and throughput, and what is already
   * queued on it: piling more on one link only queues).
   */
  linkedPeers(connecting = false, size = TYPICAL_ASSET_BYTES): PeerId[] {
    const out: PeerId[] = [];
    for (const link of this.sessions.values()) {
      const usable = connecting ? !link.closed && !link.isOpen : link.isOpen;
      // A link whose backlog is past LINK_BACKLOG_MS would refuse the request anyway.
      if (usable && link.load < MAX_INFLIGHT_REQUESTS && link.backlogMs() <= LINK_BACKLOG_MS && !out.includes(link.remote)) out.push(link.remote);
    }
    return this.rank(out, size);
  }

  /**
   * `peers` ordered by expected delivery of a `size`-byte asset, fastest first:
   * open links by their measurements, then links still opening and peers with
   * no link, which pay (part of) a connection first and are guessed at this
   * page's medians until measured. Ties keep the given order.
   */
  rank(peers: readonly PeerId[], size: number): PeerId[] {
    if (peers.length < 2) return [...peers];
    const priors = this.priors();
    return rankPeers(peers, (peer) => this.standing(peer), size, priors);
  }

  /** What the scorer knows of `peer`: its best live link's measurements and queue. */
  standing(peer: PeerId): PeerStanding {
    let best: PeerLink | undefined;
    for (const link of this.sessions.values()) {
      if (link.remote !== peer || link.closed) continue;
      if (!best || (link.isOpen && !best.isOpen)) best = link;
    }
    if (!best) return { open: false, queuedBytes: 0 };
    return { meter: best.meter, open: best.isOpen, opening: !best.isOpen, queuedBytes: best.queuedBytes };
  }

  /** Medians of this page's links (closed ones included while remembered): the guess for a link not measured yet. */
  private priors(): Priors {
    return priorsFrom([...[...this.sessions.values()].map((link) => link.meter), ...this.measured]);
  }

  /** True for a while after a connection to `peer` could not form: the same network path would fail the same way. */
  isUnreachable(peer: PeerId): boolean {
    return performance.now() - (this.unreachable.get(peer)?.at ?? -Infinity) < UNREACHABLE_MS;
  }

  /** Calls `listener` whenever a connection fails to form; returns the unsubscribe. */
  onUnreachable(listener: (failure: LinkError) => void): () => void {
    this.unreachableListeners.add(listener);
    return () => this.unreachableListeners.delete(listener);
  }

  /** The failure that made `peer` unreachable (its candidate types included), for an image that had no one else to ask. */
  unreachableError(peer: PeerId): LinkError {
    return this.unreachable.get(peer)?.failure ?? new LinkError('ice-failed');
  }

  /** A usable link to `peer`, opening one (as the offerer) if none exists. */
  linkTo(peer: PeerId): PeerLink | undefined {
    if (this.closed || this.banned.has(peer) || this.isUnreachable(peer)) return undefined;
    for (const link of this.sessions.values()) {
      if (link.remote === peer && !link.closed) return link;
    }
    const ice = this.options.ice();
    if (!ice) return undefined;
    this.makeRoom();
    return this.create(peer, randomId(), true, ice);
  }

  /** Routes offers, answers, candidates and departures from signaling. */
  onSignal(message: ServerMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case 'offer': {
        const ice = this.options.ice();
        if (!ice || this.banned.has(message.from) || this.sessions.has(message.session)) return;
        this.makeRoom();
        this.create(message.from, message.session, false, ice).acceptOffer(message.sdp);
        return;
      }
      case 'answer': {
        const link = this.sessions.get(message.session);
        if (link?.remote === message.from) link.acceptAnswer(message.sdp);
        return;
      }
      case 'candidate': {
        const link = this.sessions.get(message.session);
        if (link?.remote === message.from) link.addCandidate(message.candidate, message.mid);
        return;
      }
      case 'peer-gone':
        for (const link of [...this.sessions.values()]) if (link.remote === message.peer) link.close();
        return;
      default:
    }
  }

  ban(peer: PeerId): void {
    this.banned.add(peer);
    for (const link of [...this.sessions.values()]) if (link.remote === peer) link.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const link of [...this.sessions.values()]) link.close();
    this.sessions.clear();
  }

  private create(remote: PeerId, session: string, initiator: boolean, ice: LinkIce): PeerLink {
    const link = new PeerLink({
      remote, session, initiator, ...ice,
      signal: this.options.signal,
      serve: this.options.serve,
      ...(globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && this.options.fault ? { fault: this.options.fault } : {}),
      onClosed: (closed) => {
        if (this.sessions.get(closed.session) === closed) this.sessions.delete(closed.session);
        if (closed.meter.connectMs !== undefined) {
          this.measured.push(closed.meter);
          if (this.measured.length > MAX_LINKS) this.measured.shift();
        }
        const failure = closed.failure;
        if (failure?.reason !== 'ice-failed') return;
        if (this.unreachable.size < MAX_UNREACHABLE) this.unreachable.set(closed.remote, { at: performance.now(), failure });
        for (const listener of [...this.unreachableListeners]) listener(failure);
      },
    });
    this.sessions.set(session, link);
    return link;
  }

  /**
   * Bound the number of connections: drop the slowest idle open link (the
   * fastest ones are kept for the rest of the page), else the idle link opened
   * first, else the oldest.
   */
  private makeRoom(): void {
    if (this.sessions.size < MAX_LINKS) return;
    const links = [...this.sessions.values()];
    const idleOpen = links.filter((link) => link.inflight === 0 && link.load === 0 && link.isOpen);
    const slowest = this.rank(idleOpen.map((link) => link.remote), TYPICAL_ASSET_BYTES).at(-1);
    const victim = links.find((link) => link.remote === slowest && link.inflight === 0 && link.isOpen)
      ?? links.find((link) => link.inflight === 0)
      ?? links[0];
    victim?.close();
  }
}
