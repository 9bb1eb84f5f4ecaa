import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  MAX_HOLDERS_PER_ASSET, MAX_SIGNAL_MESSAGE_BYTES, SIGNAL_PROTOCOL_VERSION, SignalProtocolError, parseClientMessage,
  type ClientMessage, type HoldersMessage, type SignalErrorCode,
} from '../../protocol/signal-messages.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { AddressLimiter } from './address-limiter.js';
import type { GeoLookup } from './geo-lookup.js';
import { networkKey } from './network-key.js';
import { pickHolders, type HolderCandidate, type PairingOptions } from './pairing.js';
import type { PeerRecord, PeerRegistry } from './peer-registry.js';
import { PeerSession } from './peer-session.js';
import { rejectUpgrade } from './reject-upgrade.js';

/** Abuse tolerated before the socket is closed (policy violation). */
const MAX_STRIKES = 16;
/** One strike is forgiven per interval, so honest races (a holder that just left) never add up. */
const STRIKE_DECAY_MS = 30_000;
/** Message rate per socket: a burst of RATE_BURST, then RATE_PER_SEC sustained. */
const RATE_BURST = 60;
const RATE_PER_SEC = 20;
/** A `want`/`have` naming many assets costs one extra token per this many. */
const ASSETS_PER_TOKEN = 32;
/** Holders scanned per asset per `want` (least recently served first), bounding CPU on hot assets. */
const HOLDER_SCAN_LIMIT = 256;
/** How long a holder counts a handed-out transfer as busy if the asker never reports `have`. */
const UPLOAD_SLOT_MS = 15_000;
/** Concurrent transfers one browser holder is handed. */
const MAX_UPLOADS_PER_BROWSER = 4;
/** Messages/s is averaged over this window. */
const RATE_WINDOW_MS = 5_000;
const STATS_TICK_MS = 1_000;
/** After a policy close, wait this long for the close handshake, then cut the socket. */
const CLOSE_GRACE_MS = 2_000;

const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;
const CLOSE_TRY_AGAIN = 1013;

export interface SignalingServerOptions {
  registry: PeerRegistry;
  limiter: AddressLimiter;
  /** Undefined: geoLocate off, pairing ignores closeness. */
  geo: GeoLookup | undefined;
  iceServers: readonly string[];
  adminToken: string | undefined;
  maxPeers: number;
  heartbeatMs: number;
  seederMaxUploads: number;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

export interface SignalingServerStats {
  connections: number;
  messagesTotal: number;
  messagesPerSec: number;
  /** Refused connections by reason, and rejected messages by error code. */
  rejectedConnections: Record<string, number>;
  rejectedMessages: Partial<Record<SignalErrorCode, number>>;
  policyCloses: number;
  badPeerReports: number;
}

/**
 * The `/signal` WebSocket endpoint: hands out peer ids, tracks holdings through
 * the registry, answers `want` with paired holders and relays SDP/ICE only
 * within pairs it created. Bad input is answered with `error` and counted;
 * repeated abuse closes the socket.
 */
export class SignalingServer {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<string, PeerSession>();
  private readonly now: () => number;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly ticker: NodeJS.Timeout;
  private readonly lastStrikeAt = new WeakMap<PeerSession, number>();
  private pendingUpgrades = 0;
  private messagesTotal = 0;
  private rateSamples: { at: number; total: number }[] = [];
  private readonly rejectedConnections: Record<string, number> = {};
  private readonly rejectedMessages: Partial<Record<SignalErrorCode, number>> = {};
  private policyCloses = 0;
  private badPeerReports = 0;
  private closed = false;

  constructor(private readonly options: SignalingServerOptions) {
    this.now = options.now ?? Date.now;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_SIGNAL_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs).unref();
    this.ticker = setInterval(() => this.tick(), STATS_TICK_MS).unref();
  }

  /** Router upgrade hook for `<prefix>/signal`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientAddress: string): void {
    if (this.closed) return this.refuse(socket, 503, 'closing');
    if (this.sessions.size + this.pendingUpgrades >= this.options.maxPeers) return this.refuse(socket, 503, 'full');
    const release = this.options.limiter.acquire(clientAddress);
    if (!release) return this.refuse(socket, 429, 'per-address');
    socket.once('close', release);
    this.pendingUpgrades++;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.pendingUpgrades--;
    };
    socket.once('close', settle);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      this.onConnection(ws, clientAddress);
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  stats(): SignalingServerStats {
    return {
      connections: this.sessions.size,
      messagesTotal: this.messagesTotal,
      messagesPerSec: this.messagesPerSec(),
      rejectedConnections: { ...this.rejectedConnections },
      rejectedMessages: { ...this.rejectedMessages },
      policyCloses: this.policyCloses,
      badPeerReports: this.badPeerReports,
    };
  }

  /** Closes every socket (going away) and stops the timers. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.ticker);
    for (const session of [...this.sessions.values()]) {
      session.ws.close(CLOSE_GOING_AWAY, 'server closing');
      this.drop(session);
      setTimeout(() => session.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
    this.wss.close();
  }

  private refuse(socket: Duplex, status: 429 | 503, reason: string): void {
    this.rejectedConnections[reason] = (this.rejectedConnections[reason] ?? 0) + 1;
    rejectUpgrade(socket, status);
  }

  private onConnection(ws: WebSocket, address: string): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const id = randomBytes(12).toString('base64url');
    const session = new PeerSession(id, ws, address, {
      network: networkKey(address),
      ...(this.options.geo ? { country: this.options.geo.country(address) } : {}),
    }, { capacity: RATE_BURST, ratePerSec: RATE_PER_SEC, now: this.now() });
    if (!this.options.registry.join(this.record(session))) {
      this.rejectedConnections.full = (this.rejectedConnections.full ?? 0) + 1;
      ws.close(CLOSE_TRY_AGAIN, 'registry full');
      return;
    }
    this.sessions.set(id, session);
    ws.on('message', (data, isBinary) => this.onMessage(session, data, isBinary));
    ws.on('pong', () => {
      session.alive = true;
    });
    // ws reports protocol faults (oversized frame, bad UTF-8) here and then closes.
    ws.on('error', (err) => {
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.count('too-large', 'invalid');
      ws.terminate();
    });
    ws.on('close', () => this.drop(session));
    session.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'welcome', id, iceServers: [...this.options.iceServers] });
  }

  private record(session: PeerSession): PeerRecord {
    return {
      id: session.id, role: session.role, network: session.network,
      ...(session.country !== undefined ? { country: session.country } : {}),
      ...(session.asn !== undefined ? { asn: session.asn } : {}),
    };
  }

  private onMessage(session: PeerSession, data: RawData, isBinary: boolean): void {
    if (session.closed) return;
    const now = this.now();
    session.alive = true;
    this.messagesTotal++;
    if (!session.bucket.take(now)) return this.reject(session, 'rate-limited', 'slow down', 'flood');
    if (isBinary) return this.reject(session, 'bad-message', 'text frames only', 'binary');
    let message: ClientMessage;
    try {
      message = parseClientMessage(rawText(data));
    } catch (err) {
      if (err instanceof SignalProtocolError) return this.reject(session, err.code, err.message, 'invalid');
      return this.reject(session, 'bad-message', 'invalid message', 'invalid');
    }
    session.messages++;
    if ('assets' in message && !session.bucket.take(now, Math.floor(message.assets.length / ASSETS_PER_TOKEN))) {
      return this.reject(session, 'rate-limited', 'slow down', message.type);
    }
    const error = this.handle(session, message, now);
    if (error) return this.reject(session, error[0], error[1], message.type);
    // A refused seeder hello closes the session and is counted as unauthorized instead.
    if (!session.closed || message.type === 'bye') this.options.metrics?.signalingMessages.inc({ type: message.type, result: 'ok' });
  }

  /** Returns an error to answer with, or undefined when the message was handled. */
  private handle(session: PeerSession, message: ClientMessage, now: number): [SignalErrorCode, string] | undefined {
    const registry = this.options.registry;
    switch (message.type) {
      case 'hello':
        return this.hello(session, message.role, message.token);
      case 'have': {
        if (session.role === 'seeder') return undefined;
        registry.have(session.id, message.assets);
        for (const asset of message.assets) this.releaseSlots(session, asset);
        return undefined;
      }
      case 'lost':
        if (session.role !== 'seeder') registry.lost(session.id, message.assets);
        return undefined;
      case 'want':
        for (const asset of message.assets) this.answerWant(session, asset, now);
        return undefined;
      case 'offer': {
        if (!session.offered.has(message.to) && !session.partners.has(message.to)) return ['not-paired', 'offer only to a holder you were given'];
        const target = this.sessions.get(message.to);
        if (!target) return ['unknown-peer', 'that peer is gone'];
        session.addPartner(target.id);
        target.addPartner(session.id);
        target.send({ v: 1, type: 'offer', from: session.id, session: message.session, sdp: message.sdp });
        return undefined;
      }
      case 'answer':
      case 'candidate': {
        if (!session.partners.has(message.to)) return ['not-paired', `${message.type} only within a pair`];
        const target = this.sessions.get(message.to);
        if (!target) return ['unknown-peer', 'that peer is gone'];
        if (message.type === 'answer') target.send({ v: 1, type: 'answer', from: session.id, session: message.session, sdp: message.sdp });
        else target.send({ v: 1, type: 'candidate', from: session.id, session: message.session, candidate: message.candidate, mid: message.mid });
        return undefined;
      }
      case 'bad-peer': {
        if (!session.offered.has(message.peer) && !session.partners.has(message.peer)) return ['not-paired', 'report only peers you were given'];
        session.block(message.asset, message.peer);
        this.badPeerReports++;
        return undefined;
      }
      case 'bye':
        session.ws.close(CLOSE_NORMAL, 'bye');
        this.drop(session);
        return undefined;
    }
  }

  private hello(session: PeerSession, role: 'browser' | 'seeder', token: string | undefined): [SignalErrorCode, string] | undefined {
    if (session.messages > 1) return ['bad-message', 'hello must be the first message'];
    if (role === 'browser') return undefined;
    if (!this.seederAllowed(session.address, token)) {
      session.send({ v: 1, type: 'error', code: 'unauthorized', message: 'role seeder needs the admin token' });
      this.count('unauthorized', 'hello');
      this.closeForPolicy(session, 'unauthorized');
      return undefined;
    }
    this.options.registry.leave(session.id);
    session.role = 'seeder';
    this.options.registry.join(this.record(session));
    this.options.logger.info({ peer: session.id }, 'seeder joined signaling');
    return undefined;
  }

  private seederAllowed(address: string, token: string | undefined): boolean {
    const expected = this.options.adminToken;
    if (expected === undefined) return address === '::1' || address.startsWith('127.');
    if (token === undefined) return false;
    const a = Buffer.from(token);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private answerWant(session: PeerSession, asset: string, now: number): void {
    const candidates: HolderCandidate[] = [];
    for (const record of this.options.registry.holders(asset, HOLDER_SCAN_LIMIT)) {
      const holder = this.sessions.get(record.id);
      if (!holder || holder.closed) continue;
      // An explicit literal, not a spread: spreading records was the hot spot of `want` at 10k peers.
      candidates.push({
        id: record.id, role: record.role, network: record.network, country: record.country, asn: record.asn,
        lastServedAt: holder.lastServedAt,
        activeUploads: holder.activeUploads(now),
        maxUploads: holder.role === 'seeder' ? this.options.seederMaxUploads : MAX_UPLOADS_PER_BROWSER,
      });
    }
    const blocked = session.blocked.get(asset);
    const options: PairingOptions = { limit: MAX_HOLDERS_PER_ASSET, geo: this.options.geo !== undefined };
    if (blocked) options.exclude = blocked;
    const chosen = pickHolders(session, candidates, options);
    const seeders: string[] = [];
    for (const id of chosen) {
      const holder = this.sessions.get(id) as PeerSession;
      holder.lastServedAt = now;
      holder.uploads.set(`${session.id} ${asset}`, now + UPLOAD_SLOT_MS);
      session.addOffered(id);
      if (holder.role === 'seeder') seeders.push(id);
    }
    this.options.registry.served(asset, chosen);
    session.expect(asset, chosen);
    const reply: HoldersMessage = { v: 1, type: 'holders', asset, peers: chosen };
    if (seeders.length > 0) reply.seeders = seeders;
    session.send(reply);
  }

  /** The asker finished (or gave up on) an asset: its holders' upload slots free up. */
  private releaseSlots(session: PeerSession, asset: string): void {
    const holders = session.awaiting.get(asset);
    if (!holders) return;
    session.awaiting.delete(asset);
    for (const id of holders) this.sessions.get(id)?.uploads.delete(`${session.id} ${asset}`);
  }

  private reject(session: PeerSession, code: SignalErrorCode, message: string, type: string): void {
    this.count(code, type);
    const now = this.now();
    const last = this.lastStrikeAt.get(session) ?? now;
    session.strikes = Math.max(0, session.strikes - Math.floor((now - last) / STRIKE_DECAY_MS)) + 1;
    this.lastStrikeAt.set(session, now);
    if (session.strikes >= MAX_STRIKES) {
      this.closeForPolicy(session, 'too many invalid messages');
      return;
    }
    session.send({ v: 1, type: 'error', code, message });
  }

  private count(code: SignalErrorCode, type: string): void {
    this.rejectedMessages[code] = (this.rejectedMessages[code] ?? 0) + 1;
    // Only known message types become label values, so junk cannot grow the metric.
    const label = ['hello', 'have', 'lost', 'want', 'offer', 'answer', 'candidate', 'bad-peer', 'bye'].includes(type) ? type : 'invalid';
    this.options.metrics?.signalingMessages.inc({ type: label, result: code });
  }

  private closeForPolicy(session: PeerSession, reason: string): void {
    if (session.closed) return;
    this.policyCloses++;
    session.ws.close(CLOSE_POLICY, reason);
    this.drop(session);
    setTimeout(() => session.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Forgets a peer: holdings vanish, partners hear `peer-gone`. Idempotent. */
  private drop(session: PeerSession): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session.id);
    this.options.registry.leave(session.id);
    for (const asset of [...session.awaiting.keys()]) this.releaseSlots(session, asset);
    for (const id of session.partners) {
      const partner = this.sessions.get(id);
      if (!partner) continue;
      partner.partners.delete(session.id);
      partner.offered.delete(session.id);
      partner.send({ v: 1, type: 'peer-gone', peer: session.id });
    }
    session.partners.clear();
    session.offered.clear();
  }

  /** Peers that did not answer the previous ping are cut and forgotten. */
  private beat(): void {
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

  private tick(): void {
    const now = this.now();
    this.rateSamples.push({ at: now, total: this.messagesTotal });
    while (this.rateSamples.length > 1 && now - (this.rateSamples[0] as { at: number }).at > RATE_WINDOW_MS) this.rateSamples.shift();
    const registry = this.options.registry.stats(0);
    this.options.metrics?.peers.set(registry.peers);
    this.options.metrics?.swarms.set(registry.swarms);
  }

  private messagesPerSec(): number {
    const first = this.rateSamples[0];
    if (!first) return 0;
    const seconds = (this.now() - first.at) / 1000;
    return seconds > 0 ? Math.round(((this.messagesTotal - first.total) / seconds) * 10) / 10 : 0;
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
