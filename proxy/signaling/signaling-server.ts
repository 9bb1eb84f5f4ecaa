import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  MAX_SIGNAL_MESSAGE_BYTES, SIGNAL_PROTOCOL_VERSION, SignalProtocolError, parseClientMessage, type ClientMessage, type IceServer,
} from '../../protocol/signal-messages.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { AddressLimiter } from './address-limiter.js';
import { Admission } from './admission.js';
import { MAX_LINK_REPORTS_PER_SESSION, pairType, type ConnectivityLog } from './connectivity.js';
import type { GeoLookup } from './geo-lookup.js';
import { HolderChoice } from './holder-choice.js';
import { networkKey } from './network-key.js';
import type { PeerRegistry } from './peer-registry.js';
import { SignalRateStats, type SignalingServerStats } from './rate-stats.js';
import { rejectUpgrade } from './reject-upgrade.js';
import { isPairedWith, relay } from './relay.js';
import { SessionLifetime, type PolicyClose, type RemoteSessions } from './session-lifetime.js';
import { SignalSession } from './signal-session.js';
import type { MessageRefusal } from './strike-policy.js';

export type { SignalingServerStats } from './rate-stats.js';

/** Message rate per socket: a burst of RATE_BURST, then RATE_PER_SEC sustained. */
const RATE_BURST = 60;
const RATE_PER_SEC = 20;
/** A `want`/`have` naming many assets costs one extra token per this many. */
const ASSETS_PER_TOKEN = 32;
const STATS_TICK_MS = 1_000;

export interface SignalingServerOptions {
  registry: PeerRegistry;
  limiter: AddressLimiter;
  /** Undefined: geoLocate off, pairing ignores closeness. */
  geo: GeoLookup | undefined;
  /**
   * The ICE servers of one visitor's `welcome`, built on every connection (minted
   * TURN credentials are per peer and fresh on reconnect); `host` is the Host
   * header's hostname the visitor used, for the built-in STUN responder's URL.
   */
  iceServers: (peerId: string, host: string | undefined) => IceServer[];
  /** The secret role seeder needs (see Admission). */
  seederSecret: string;
  maxPeers: number;
  heartbeatMs: number;
  seederMaxUploads: number;
  /** Learns from browsers' `link` reports per network; undefined: reports are counted only. */
  connectivity?: ConnectivityLog;
  /** A TURN server is configured, so two symmetric NATs may be paired. @default false */
  turnAvailable?: boolean;
  /** Peers on other proxy instances (REDIS_URL); none: pairing and relay stay within this instance. */
  remote?: RemoteSessions;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/**
 * The `/signal` WebSocket endpoint: hands out peer ids, tracks holdings through
 * the registry, answers `want` with paired holders and relays SDP/ICE only
 * within pairs it created. Bad input is answered with `error` and counted;
 * repeated abuse closes the socket. This class only wires the parts together:
 * admission.ts, session-lifetime.ts, relay.ts, holder-choice.ts,
 * strike-policy.ts and rate-stats.ts.
 */
export class SignalingServer {
  private readonly wss: WebSocketServer;
  private readonly now: () => number;
  private readonly admission: Admission;
  private readonly sessions: SessionLifetime;
  private readonly holders: HolderChoice;
  private readonly counters: SignalRateStats;
  private readonly ticker: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: SignalingServerOptions) {
    this.now = options.now ?? Date.now;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_SIGNAL_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.admission = new Admission({ limiter: options.limiter, maxPeers: options.maxPeers, seederSecret: options.seederSecret });
    this.sessions = new SessionLifetime({
      registry: options.registry, heartbeatMs: options.heartbeatMs, ...(options.remote ? { remote: options.remote } : {}),
    });
    this.holders = new HolderChoice({
      registry: options.registry, lookup: this.sessions.lookup, geo: options.geo !== undefined, seederMaxUploads: options.seederMaxUploads,
      turnAvailable: options.turnAvailable ?? false,
    });
    this.counters = new SignalRateStats(options.metrics);
    this.ticker = setInterval(() => this.tick(), STATS_TICK_MS).unref();
  }

  /** Router upgrade hook for `<prefix>/signal`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientAddress: string): void {
    const admitted = this.admission.admit(socket, clientAddress, this.sessions.size);
    if (!admitted.admitted) {
      this.counters.refused(admitted.reason);
      rejectUpgrade(socket, admitted.error);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      admitted.upgraded();
      this.onConnection(ws, clientAddress, req.headers.host);
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  stats(): SignalingServerStats {
    return this.counters.snapshot(this.now(), this.sessions.size);
  }

  /** Closes every socket (going away) and stops the timers. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.admission.stop();
    clearInterval(this.ticker);
    this.sessions.close();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, address: string, host: string | undefined): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const id = randomBytes(12).toString('base64url');
    const session = new SignalSession(id, ws, address, {
      network: networkKey(address),
      ...(this.options.geo ? { country: this.options.geo.country(address) } : {}),
    }, { capacity: RATE_BURST, ratePerSec: RATE_PER_SEC, now: this.now() });
    if (!this.sessions.open(session)) {
      this.counters.refused('full');
      return;
    }
    ws.on('message', (data, isBinary) => this.onMessage(session, data, isBinary));
    // ws reports protocol faults (oversized frame, bad UTF-8) here and then closes.
    ws.on('error', (err) => {
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.counters.rejected('too-large', 'invalid');
      ws.terminate();
    });
    session.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'welcome', id, iceServers: this.options.iceServers(id, host) });
  }

  private onMessage(session: SignalSession, data: RawData, isBinary: boolean): void {
    if (session.closed) return;
    const now = this.now();
    session.alive = true;
    this.counters.received();
    if (!session.bucket.take(now)) return this.reject(session, { reason: 'rate-limited', message: 'slow down' }, 'flood');
    if (isBinary) return this.reject(session, { reason: 'bad-message', message: 'text frames only' }, 'binary');
    let message: ClientMessage;
    try {
      message = parseClientMessage(rawText(data));
    } catch (err) {
      const refusal: MessageRefusal = err instanceof SignalProtocolError
        ? { reason: err.reason, message: err.message }
        : { reason: 'bad-message', message: 'invalid message' };
      return this.reject(session, refusal, 'invalid');
    }
    session.messages++;
    if ('assets' in message && !session.bucket.take(now, Math.floor(message.assets.length / ASSETS_PER_TOKEN))) {
      return this.reject(session, { reason: 'rate-limited', message: 'slow down' }, message.type);
    }
    const refusal = this.handle(session, message, now);
    if (refusal) return this.reject(session, refusal, message.type);
    // A refused seeder hello closes the session and is counted as unauthorized instead.
    if (!session.closed || message.type === 'bye') this.counters.handled(message.type);
  }

  /** Returns why the message is refused, or undefined when it was handled. */
  private handle(session: SignalSession, message: ClientMessage, now: number): MessageRefusal | undefined {
    switch (message.type) {
      case 'hello':
        return this.hello(session, message);
      case 'have':
        this.holders.have(session, message.assets);
        return undefined;
      case 'lost':
        this.holders.lost(session, message.assets);
        return undefined;
      case 'want':
        for (const asset of message.assets) session.send(this.holders.want(session, asset, now));
        return undefined;
      case 'offer':
      case 'answer':
      case 'candidate':
        return relay(session, message, this.sessions.lookup);
      case 'bad-peer': {
        const refusal = this.holders.badPeer(session, message);
        if (!refusal) this.counters.badPeerReported();
        return refusal;
      }
      case 'bye':
        this.sessions.bye(session);
        return undefined;
      case 'nat':
        // A seeder is reachable by definition (pairing counts it as open).
        if (session.role === 'browser') session.nat = message.nat;
        this.counters.natReported(message.nat);
        return undefined;
      case 'link':
        return this.link(session, message);
    }
  }

  /**
   * A browser's outcome of one connection attempt, learnt only about a peer the
   * server paired it with. A report about any other peer is dropped without a
   * strike: a client that reconnected reports links its earlier session made,
   * and a forged one can teach nothing. The first
   * MAX_LINK_REPORTS_PER_SESSION feed its network's connectivity figures; the
   * seeder's own reports are not learnt from (its network is the server's).
   */
  private link(session: SignalSession, message: Extract<ClientMessage, { type: 'link' }>): MessageRefusal | undefined {
    if (!isPairedWith(session, message.peer)) {
      this.counters.staleLinkReported();
      return undefined;
    }
    if (session.role !== 'browser') return undefined;
    this.counters.linkReported(message.ok, pairType(message.local, message.remote));
    if (session.linkReports++ < MAX_LINK_REPORTS_PER_SESSION) {
      this.options.connectivity?.record(session.network, message);
    }
    return undefined;
  }

  private hello(session: SignalSession, message: Extract<ClientMessage, { type: 'hello' }>): MessageRefusal | undefined {
    const outcome = this.admission.hello(message, session.messages === 1);
    if (outcome === 'browser') return undefined;
    if (outcome === 'seeder') {
      this.sessions.becomeSeeder(session);
      this.options.logger.info({ peer: session.id }, 'seeder joined signaling');
      return undefined;
    }
    if (outcome.reason !== 'unauthorized') return outcome;
    // Not a strike: a refused seeder is told why and closed at once.
    session.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'error', code: outcome.reason, message: outcome.message });
    this.counters.rejected(outcome.reason, message.type);
    this.closeForPolicy(session, 'UNAUTHORIZED');
    return undefined;
  }

  /** Counts the refusal and strikes the session: answered with `error`, or closed once strikes run out. */
  private reject(session: SignalSession, refusal: MessageRefusal, type: string): void {
    this.counters.rejected(refusal.reason, type);
    if (session.strikes.add(this.now()) === 'close') {
      this.closeForPolicy(session, 'TOO_MANY_INVALID');
      return;
    }
    session.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'error', code: refusal.reason, message: refusal.message });
  }

  private closeForPolicy(session: SignalSession, why: PolicyClose): void {
    if (this.sessions.closeForPolicy(session, why)) this.counters.policyClosed();
  }

  private tick(): void {
    this.counters.sample(this.now());
    const registry = this.options.registry.stats(0);
    this.options.metrics?.peers.set(registry.peers);
    this.options.metrics?.swarms.set(registry.swarms);
    if (this.options.connectivity) this.options.metrics?.networksHttp.set(this.options.connectivity.httpNetworks());
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
