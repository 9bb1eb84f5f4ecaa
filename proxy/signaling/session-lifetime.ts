import { CLOSE_REASONS, type CloseReason } from '../../core/errors.js';
import type { PeerId } from '../../protocol/signal-messages.js';
import { releaseAllSlots } from './holder-choice.js';
import type { PeerRecord, PeerRegistry } from './peer-registry.js';
import { unpair, type SessionLookup } from './relay.js';
import type { SignalSession } from './signal-session.js';

/** After a server-side close, wait this long for the close handshake, then cut the socket. */
export const CLOSE_GRACE_MS = 2_000;

/**
 * Peers connected to other proxy instances (REDIS_URL): stand-ins found when
 * the local table has no such id, so pairing and relay reach them; attach()
 * gives the cluster the local table for messages arriving from elsewhere.
 */
export interface RemoteSessions {
  lookup: SessionLookup;
  attach(local: SessionLookup): void;
}

export interface SessionLifetimeOptions {
  registry: PeerRegistry;
  /** Peers on other instances; none: this instance is alone. */
  remote?: RemoteSessions;
  /** Ping interval; a peer that did not answer the previous ping is dropped. */
  heartbeatMs: number;
}

/**
 * The table of live sessions, by peer id, and how each one ends: `bye`, a
 * closed socket, a policy close, a missed heartbeat or server shutdown. Every
 * path ends in `drop`, which forgets the peer's holdings, frees the upload
 * slots it held on others and tells its partners `peer-gone`.
 */
export class SessionLifetime {
  private readonly sessions = new Map<PeerId, SignalSession>();
  private readonly heartbeat: NodeJS.Timeout;
  private stopped = false;
  readonly lookup: SessionLookup = (id) => this.sessions.get(id) ?? this.options.remote?.lookup(id);

  constructor(private readonly options: SessionLifetimeOptions) {
    options.remote?.attach((id) => this.sessions.get(id));
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Joins the registry and starts tracking the socket's pongs and close. False
   * when the registry is full: the socket is then closed with 1013 (try again).
   */
  open(session: SignalSession): boolean {
    if (!this.options.registry.join(toRecord(session))) {
      closeWith(session, CLOSE_REASONS.REGISTRY_FULL);
      return false;
    }
    this.sessions.set(session.id, session);
    session.ws.on('pong', () => {
      session.alive = true;
    });
    session.ws.on('close', () => this.drop(session));
    return true;
  }

  /** Re-registers an admitted seeder, which the registry offers for every asset. */
  becomeSeeder(session: SignalSession): void {
    this.options.registry.leave(session.id);
    session.role = 'seeder';
    this.options.registry.join(toRecord(session));
  }

  /** The peer said `bye`: close normally and forget it now. */
  bye(session: SignalSession): void {
    closeWith(session, CLOSE_REASONS.BYE);
    this.drop(session);
  }

  /** Closes for a policy violation (1008) and forgets the peer; false when it was already gone. */
  closeForPolicy(session: SignalSession, why: PolicyClose): boolean {
    if (session.closed) return false;
    this.closeWithGrace(session, CLOSE_REASONS[why]);
    return true;
  }

  /** Forgets a peer: holdings vanish, its upload slots free up, partners hear `peer-gone`. Idempotent. */
  drop(session: SignalSession): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session.id);
    this.options.registry.leave(session.id);
    releaseAllSlots(session, this.lookup);
    unpair(session, this.lookup);
  }

  /** One heartbeat: peers that did not answer the previous ping are cut and forgotten, the rest pinged. */
  beat(): void {
    for (const session of [...this.sessions.values()]) {
      if (!session.alive) {
        session.ws.terminate();
        this.drop(session);
        continue;
      }
      session.alive = false;
      try {
        session.ws.ping();
      } catch {
        // Socket already closing; its close event drops the session.
      }
    }
  }

  /** Stops the heartbeat and closes every socket (going away). Idempotent. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    for (const session of [...this.sessions.values()]) this.closeWithGrace(session, CLOSE_REASONS.SERVER_CLOSING);
  }

  private closeWithGrace(session: SignalSession, close: CloseReason): void {
    closeWith(session, close);
    this.drop(session);
    // A peer that never completes the close handshake must not keep its socket.
    setTimeout(() => session.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

export function toRecord(session: SignalSession): PeerRecord {
  return {
    id: session.id, role: session.role, network: session.network,
    ...(session.country !== undefined ? { country: session.country } : {}),
    ...(session.asn !== undefined ? { asn: session.asn } : {}),
  };
}

/** The close frames a policy violation may end with. */
export type PolicyClose = 'UNAUTHORIZED' | 'TOO_MANY_INVALID';

function closeWith(session: SignalSession, close: CloseReason): void {
  session.ws.close(close.code, close.reason);
}
