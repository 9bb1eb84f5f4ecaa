import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { PeerId, ServerMessage } from '../../protocol/signal-messages.js';
import type { SessionLookup } from '../signaling/relay.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { RedisLink } from './redis-link.js';
import type { RedisPeerRegistry } from './redis-registry.js';
import { RemotePeer } from './remote-peer.js';

/** Stand-ins for remote peers kept at once (least recently used dropped; they are cheap to rebuild). */
export const MAX_REMOTE_STANDINS = 50_000;
/** Relayed messages in flight to Redis; beyond it new ones are dropped (the peers time out and fall back). */
export const MAX_PENDING_PUBLISHES = 10_000;

const MAX_ID_CHARS = 128;
const MAX_SDP_CHARS = 32 * 1024;
const id = z.string().min(1).max(MAX_ID_CHARS);
/** What may cross instances: the relayed SDP/ICE and peer-gone, exactly as a local session would be sent them. */
const inboxSchema = z.object({
  to: id,
  m: z.discriminatedUnion('type', [
    z.object({ v: z.literal(1), type: z.literal('offer'), from: id, session: z.string().max(MAX_ID_CHARS), sdp: z.string().max(MAX_SDP_CHARS) }),
    z.object({ v: z.literal(1), type: z.literal('answer'), from: id, session: z.string().max(MAX_ID_CHARS), sdp: z.string().max(MAX_SDP_CHARS) }),
    z.object({
      v: z.literal(1), type: z.literal('candidate'), from: id, session: z.string().max(MAX_ID_CHARS),
      candidate: z.string().max(MAX_SDP_CHARS), mid: z.string().max(MAX_ID_CHARS),
    }),
    z.object({ v: z.literal(1), type: z.literal('peer-gone'), peer: id }),
  ]),
});
export type InboxMessage = z.infer<typeof inboxSchema>;

/** Parses one inbox payload; throws on anything that is not a relayable message. */
export function parseInboxMessage(payload: string): InboxMessage {
  return inboxSchema.parse(JSON.parse(payload));
}

export interface InstanceRelayStats {
  sent: number;
  delivered: number;
  /** Dropped: Redis down, too many in flight, unknown recipient or malformed payload. */
  dropped: number;
}

export interface InstanceRelayOptions {
  link: RedisLink;
  keys: ClusterKeys;
  registry: RedisPeerRegistry;
}

/**
 * Signaling between peers on different instances. Pairing sees a remote holder
 * through lookup() as a RemotePeer; what relay.ts sends to it is published to
 * the holder's instance inbox (one channel per instance, so ordering per pair is
 * the connection's), and deliver() hands inbox messages to the local session,
 * recording the pair first so the holder's answer and candidates pass the
 * relay's pair check. Pub/sub is at most once: a message lost while Redis
 * restarts ends as a connection timeout and an HTTP fallback in the client.
 */
export class InstanceRelay {
  private readonly standIns = new LRUCache<PeerId, RemotePeer>({ max: MAX_REMOTE_STANDINS });
  private local: SessionLookup = () => undefined;
  private pending = 0;
  private readonly counters: InstanceRelayStats = { sent: 0, delivered: 0, dropped: 0 };

  constructor(private readonly options: InstanceRelayOptions) {}

  /** Signaling's session table, for delivering inbox messages. */
  attach(local: SessionLookup): void {
    this.local = local;
  }

  /** A stand-in for a peer on another live instance, or undefined (local, unknown, or its instance gone). */
  readonly lookup: SessionLookup = (peer) => {
    const { registry } = this.options;
    const instance = registry.instanceOf(peer);
    const record = instance === undefined || instance === registry.instanceId ? undefined : registry.remoteRecord(peer);
    if (!record || instance === undefined) {
      this.standIns.delete(peer);
      return undefined;
    }
    let standIn = this.standIns.get(peer);
    if (!standIn || standIn.instance !== instance) {
      standIn = new RemotePeer(record, instance, (to, target, message) => this.post(to, target, message));
      this.standIns.set(peer, standIn);
    }
    return standIn;
  };

  /** One payload from this instance's inbox. */
  deliver(payload: string): void {
    let message: InboxMessage;
    try {
      message = parseInboxMessage(payload);
    } catch {
      this.counters.dropped++;
      return;
    }
    const session = this.local(message.to);
    if (!session || session.closed) {
      this.counters.dropped++;
      return;
    }
    const { m } = message;
    if (m.type === 'offer') session.addPartner(m.from);
    if (m.type === 'peer-gone') {
      session.partners.delete(m.peer);
      session.offered.delete(m.peer);
    }
    this.counters.delivered++;
    session.send(m as ServerMessage);
  }

  stats(): InstanceRelayStats {
    return { ...this.counters };
  }

  private post(instance: string, to: PeerId, message: ServerMessage): void {
    const { link, keys } = this.options;
    if (link.state !== 'up' || this.pending >= MAX_PENDING_PUBLISHES) {
      this.counters.dropped++;
      return;
    }
    this.pending++;
    this.counters.sent++;
    link.command.publish(keys.inbox(instance), JSON.stringify({ to, m: message })).then(
      () => this.pending--,
      () => {
        this.pending--;
        this.counters.dropped++;
      },
    );
  }
}
