import type { WebSocket } from 'ws';
import type { PeerId, ServerMessage } from '../../protocol/signal-messages.js';
import type { PeerRecord } from '../signaling/peer-registry.js';
import { SignalSession } from '../signaling/signal-session.js';

/** Sends one signaling message to a peer connected to another instance. */
export type PostToInstance = (instance: string, to: PeerId, message: ServerMessage) => void;

/** A remote peer has no socket here; nothing may touch one (send is overridden). */
const NO_SOCKET = Object.freeze({}) as unknown as WebSocket;
const NO_RATE = { capacity: 0, ratePerSec: 0, now: 0 };

/**
 * This instance's stand-in for a peer connected to another instance, so
 * pairing and relay treat it like a local session: what is sent to it goes
 * over Redis to its instance's inbox. The upload slots and last-served time
 * kept here count only this instance's hand-outs to it (each instance
 * accounts for the askers it serves).
 */
export class RemotePeer extends SignalSession {
  constructor(record: PeerRecord, readonly instance: string, private readonly post: PostToInstance) {
    super(record.id, NO_SOCKET, '', record, NO_RATE);
    this.role = record.role;
  }

  override send(message: ServerMessage): void {
    this.post(this.instance, this.id, message);
  }
}
