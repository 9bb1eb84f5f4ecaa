import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { PeerRole, ServerMessage } from '../../protocol/signal-messages.js';
import { SignalSession } from '../../proxy/signaling/signal-session.js';

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * Stands in for a server-side `ws` socket in unit tests: records what the
 * server sends, how it closes the socket and how often it pings.
 */
export class FakeSignalSocket extends EventEmitter {
  readonly OPEN = OPEN;
  readyState = OPEN;
  bufferedAmount = 0;
  readonly sent: ServerMessage[] = [];
  closedWith: { code: number; reason: string } | undefined;
  terminated = false;
  pings = 0;

  send(data: string): void {
    this.sent.push(JSON.parse(data) as ServerMessage);
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = CLOSING;
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = CLOSED;
  }

  ping(): void {
    this.pings++;
  }

  /** Server messages of one type, in order. */
  sentOf<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }
}

export interface FakeSessionOptions {
  role?: PeerRole;
  network?: string;
  address?: string;
  now?: number;
}

/** A SignalSession over a FakeSignalSocket. */
export function fakeSession(id: string, options: FakeSessionOptions = {}): { session: SignalSession; socket: FakeSignalSocket } {
  const socket = new FakeSignalSocket();
  const session = new SignalSession(id, socket as unknown as WebSocket, options.address ?? '198.51.100.7', {
    network: options.network ?? 'local',
  }, { capacity: 60, ratePerSec: 20, now: options.now ?? 0 });
  if (options.role) session.role = options.role;
  return { session, socket };
}
