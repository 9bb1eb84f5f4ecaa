import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Feature } from '../../core/feature.js';
import type { Logger } from '../../core/logger.js';
import {
  ATTR, MAX_STUN_MESSAGE_BYTES, STUN_METHOD_BINDING, StunParseError, decodeStunMessage, encodeStunMessage, encodeXorAddress, looksLikeStun,
} from './stun-message.js';

/**
 * Answers at most this many Binding requests per second in total: a STUN answer
 * is about twice the size of the request, so the cap bounds what a spoofed
 * source address can reflect at a victim. Far above what visitors' ICE needs.
 */
export const MAX_ANSWERS_PER_SEC = 5_000;
const SECOND_MS = 1_000;

export interface StunServerOptions {
  /** UDP port (0: any free port). */
  port: number;
  /** Interface to bind (the proxy's HOST). */
  host: string;
  logger: Logger;
  now?: () => number;
}

export interface StunServerStats {
  answered: number;
  /** Datagrams that were not STUN, malformed, not a Binding request, or over the rate cap. */
  dropped: number;
}

/**
 * The built-in STUN responder (RFC 5389 Binding only, no authentication, no
 * TURN): tells each visitor's browser, and the seeder, the address and port its
 * request came from, which is all ICE needs to find a server-reflexive
 * candidate behind a cone NAT. Everything that is not a well-formed Binding
 * request is dropped without an answer; nothing a datagram contains can throw
 * out of the message handler.
 */
export class StunServer implements Feature {
  readonly name = 'stun';
  private socket: Socket | undefined;
  private boundPort: number | undefined;
  private closed = false;
  private windowStart = 0;
  private windowAnswers = 0;
  private readonly counts: StunServerStats = { answered: 0, dropped: 0 };
  private readonly now: () => number;

  constructor(private readonly options: StunServerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The bound UDP port, or undefined when not listening (bind failed, or closed). */
  get port(): number | undefined {
    return this.closed ? undefined : this.boundPort;
  }

  stats(): StunServerStats {
    return { ...this.counts };
  }

  /**
   * Binds the socket. A port already in use (another STUN/TURN server on this
   * host) is logged as an error and leaves the responder off: visitors then get
   * no STUN URL in `welcome`, and pages still load.
   */
  async start(): Promise<void> {
    if (this.closed || this.socket) return;
    const { host, port, logger } = this.options;
    const socket = createSocket({ type: isIP(host) === 6 || host === '::' ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('message', (packet, remote) => this.onPacket(packet, remote));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.socket = undefined;
      socket.close();
      logger.error({ err, port }, 'STUN responder could not bind its UDP port: visitors get no built-in STUN server');
      return;
    }
    // After the bind, socket errors (an ICMP-refused send) concern one datagram, never the server.
    socket.on('error', (err) => logger.debug({ err }, 'STUN socket error'));
    if (this.closed) {
      socket.close();
      return;
    }
    this.boundPort = socket.address().port;
    logger.info({ port: this.boundPort, host }, 'STUN responder listening (UDP)');
  }

  ready(): boolean {
    return !this.closed;
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onPacket(packet: Buffer, remote: RemoteInfo): void {
    const answer = this.answerTo(packet, remote);
    if (!answer || !this.socket) {
      this.counts.dropped++;
      return;
    }
    this.counts.answered++;
    this.socket.send(answer, remote.port, remote.address);
  }

  /** The Binding success response for `packet`, or undefined to stay silent. */
  private answerTo(packet: Buffer, remote: RemoteInfo): Buffer | undefined {
    if (packet.length > MAX_STUN_MESSAGE_BYTES || !looksLikeStun(packet)) return undefined;
    if (!this.takeToken()) return undefined;
    let request;
    try {
      request = decodeStunMessage(packet);
    } catch (err) {
      if (err instanceof StunParseError) return undefined;
      throw err;
    }
    if (request.method !== STUN_METHOD_BINDING || request.class !== 'request') return undefined;
    const address = unmapIpv4(remote.address);
    return encodeStunMessage({
      method: STUN_METHOD_BINDING,
      class: 'success',
      transactionId: request.transactionId,
      attributes: [{ type: ATTR.XOR_MAPPED_ADDRESS, value: encodeXorAddress(address, remote.port, request.transactionId) }],
      fingerprint: true,
    });
  }

  private takeToken(): boolean {
    const now = this.now();
    if (now - this.windowStart >= SECOND_MS) {
      this.windowStart = now;
      this.windowAnswers = 0;
    }
    if (this.windowAnswers >= MAX_ANSWERS_PER_SEC) return false;
    this.windowAnswers++;
    return true;
  }
}

/** A dual-stack socket reports IPv4 visitors as ::ffff:a.b.c.d; they are answered as IPv4. */
function unmapIpv4(address: string): string {
  const tail = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return tail !== undefined && isIP(tail) === 4 ? tail : address;
}
