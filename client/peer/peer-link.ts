import {
  CHUNK_PAYLOAD_BYTES, MAX_INFLIGHT_REQUESTS, PEER_CHANNEL_LABEL, PEER_WIRE_VERSION, SEND_BUFFER_HIGH_BYTES,
  SEND_BUFFER_LOW_BYTES, decodeChunk, encodeChunk, parseControlMessage,
  type DeclineReason, type PeerControlMessage,
} from '../../protocol/peer-wire.js';
import { SIGNAL_PROTOCOL_VERSION, type CandidateType, type ClientMessage, type IceServer, type PeerId } from '../../protocol/signal-messages.js';
import type { FallbackReason } from '../../protocol/report.js';
import { ICE_DEADLINE_DEFAULT_MS } from './ice-deadline.js';
import { parseCandidate, selectedPair, type SelectedPair } from './ice-candidates.js';
import { mark } from '../utils/marks.js';
import { LinkMeter } from './link-score.js';
/** Remote candidates kept while the remote description is not set yet. */
const MAX_PENDING_CANDIDATES = 64;
/** Requests waiting for a free in-flight slot on one link. */
const MAX_QUEUED_REQUESTS = 256;
/**
 * A new request is refused (its image asks its next holder, or signaling again)
 * when the bytes already asked of this link would take longer than this at the
 * link's measured rate. Holders serve in order, so on a slow link (a home uplink
 * shared by several uploads) a request piled behind a megabyte waited seconds
 * for its first byte and ran into the image's deadline; a fresh connection to
 * another holder takes about one second on a WAN. A link not measured yet is not
 * limited (beyond MAX_QUEUED_REQUESTS): refusing part of a page's first burst at
 * a guessed rate sent those images to HTTP through the hedge (the emulated
 * internet's offload fell from ~0.72 to 0.42-0.51 of the maximum).
 */
export const LINK_BACKLOG_MS = 2_000;

export class LinkError extends Error {
  /** With `ice-failed`: candidate types the link tried, local and remote. */
  candidates?: CandidateType[];

  constructor(readonly reason: FallbackReason, message: string = reason) {
    super(message);
    this.name = 'LinkError';
  }
}

/** What a link asks its owner when the remote peer requests an asset. */
export interface ServeDecision {
  bytes?: Uint8Array;
  decline?: DeclineReason;
  /** Called once when the upload finished, failed or was cancelled. */
  done?: (sentBytes: number) => void;
}

export interface PeerLinkOptions {
  remote: PeerId;
  session: string;
  initiator: boolean;
  iceServers: IceServer[];
  /** TURN only (`iceTransportPolicy: 'relay'`): no peer learns this visitor's addresses. */
  relayOnly?: boolean;
  /** ICE + DTLS + channel open must finish within this, or the link fails with `ice-failed` (see ice-deadline.ts). */
  deadlineMs?: number;
  /** Sends offers, answers, candidates and, once the connection attempt ends, its `link` report. */
  signal(message: ClientMessage): void;
  serve(asset: string, url: string): ServeDecision;
  onClosed(link: PeerLink): void;
  /** Test-only misbehaviour of this page when serving (test builds only: see `__PEERCONNECT_TEST_HOOKS__` in client/index.ts). */
  fault?: 'corrupt-bytes' | 'close-mid-transfer' | 'stall-mid-transfer' | 'drop-candidates';
}

interface Outgoing {
  req: number;
  asset: string;
  url: string;
  size: number;
  buffer?: Uint8Array;
  received: number;
  sent: boolean;
  /** performance.now() when the request went out, and whether the link had nothing else in flight then (an RTT sample). */
  sentAt?: number;
  sentIdle?: boolean;
  /** performance.now() when its header arrived. */
  headerAt?: number;
  resolve(bytes: Uint8Array): void;
  reject(err: LinkError): void;
}

export interface PendingRequest {
  promise: Promise<Uint8Array>;
  cancel(reason: FallbackReason): void;
  /**
   * When the link this request waits on last moved: opened, or received bytes for
   * any request (a request queued behind others progresses as they drain).
   */
  progressAt(): number;
  /** True once the remote peer answered with the asset's header (its first byte is on the way). */
  firstByte(): boolean;
}

/**
 * One RTCPeerConnection and its single ordered data channel to one remote peer.
 * Symmetric once open: either side may request assets, so one link serves many
 * assets both ways. The requester's side is the offerer.
 */
export class PeerLink {
  readonly remote: PeerId;
  readonly session: string;
  readonly opened: Promise<void>;
  /** Bytes received from / sent to this peer over the data channel. */
  bytesIn = 0;
  /** Why the link closed (set once it has). */
  failure: LinkError | undefined;
  /**
   * performance.now() of the last sign of life: created, the remote answer or a
   * remote candidate arrived, ICE or DTLS connected, opened, header or chunk
   * received. A connection still forming step by step is progress: over a WAN with
   * TURN it can take longer than an image's stall deadline, and the connect
   * deadline (ice-deadline.ts) bounds it anyway.
   */
  lastProgressAt = performance.now();
  bytesOut = 0;
  /** Round trip, throughput and connect time measured on this link (link-score.ts ranks peers by them). */
  readonly meter = new LinkMeter();
  private readonly pc: RTCPeerConnection;
  /** When the last transfer on this link completed: the next one's bytes flow only after it (holders serve in order). */
  private lastFinishAt = 0;
  /** Uploads run one at a time in request order: each waits for the one before. */
  private uploadTurn: Promise<void> = Promise.resolve();
  private channel: RTCDataChannel | undefined;
  private remoteSet = false;
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private ops: Promise<unknown> = Promise.resolve();
  private nextReq = 1;
  private readonly outgoing = new Map<number, Outgoing>();
  private readonly queue: Outgoing[] = [];
  private readonly uploads = new Map<number, { cancelled: boolean }>();
  private openResolve!: () => void;
  private openReject!: (err: LinkError) => void;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private drainWaiters: (() => void)[] = [];
  private readonly started = performance.now();
  /** Candidate types gathered here / received from the remote peer. */
  private readonly gathered = new Set<CandidateType>();
  private readonly remoteTypes = new Set<CandidateType>();
  private attemptReported = false;
  closed = false;

  constructor(private readonly options: PeerLinkOptions) {
    this.remote = options.remote;
    this.session = options.session;
    this.opened = new Promise<void>((resolve, reject) => {
      this.openResolve = resolve;
      this.openReject = reject;
    });
    this.opened.catch(() => undefined);
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers, ...(options.relayOnly ? { iceTransportPolicy: 'relay' } : {}) });
    this.armConnectDeadline();
    this.pc.onicecandidate = (event) => {
      const c = event.candidate;
      if (!c?.candidate) return;
      const type = parseCandidate(c.candidate)?.type;
      if (type) this.gathered.add(type);
      if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && options.fault === 'drop-candidates') return;
      options.signal({ v: SIGNAL_PROTOCOL_VERSION, type: 'candidate', to: this.remote, session: this.session, candidate: c.candidate, mid: c.sdpMid ?? '0' });
    };
    mark('link-created', options.remote);
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'connected') {
        mark('ice-connected', this.remote);
        this.lastProgressAt = performance.now();
      }
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      if (state === 'connected') {
        mark('dtls-connected', this.remote);
        this.lastProgressAt = performance.now();
      }
      if (state === 'failed') this.close(new LinkError('ice-failed'));
      else if (state === 'closed') this.close(new LinkError('peer-closed'));
    };
    if (options.initiator) {
      this.attach(this.pc.createDataChannel(PEER_CHANNEL_LABEL, { ordered: true }));
      this.enqueue(async () => {
        const offer = await this.pc.createOffer();
        if (this.closed) return;
        await this.pc.setLocalDescription(offer);
        if (this.closed) return;
        const sdp = this.pc.localDescription?.sdp ?? offer.sdp ?? '';
        mark('offer-sent', this.remote);
        options.signal({ v: SIGNAL_PROTOCOL_VERSION, type: 'offer', to: this.remote, session: this.session, sdp });
      });
    } else {
      this.pc.ondatachannel = (event) => {
        if (event.channel.label === PEER_CHANNEL_LABEL && !this.channel) this.attach(event.channel);
        else event.channel.close();
      };
    }
  }

  /** Answerer side: the remote offer arrived through signaling. */
  acceptOffer(sdp: string): void {
    if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && this.options.fault === 'drop-candidates') sdp = sdp.replace(/a=candidate:.*\r\n/g, '');
    this.enqueue(async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
      if (this.closed) return;
      await this.flushCandidates();
      const answer = await this.pc.createAnswer();
      if (this.closed) return;
      await this.pc.setLocalDescription(answer);
      if (this.closed) return;
      let local = this.pc.localDescription?.sdp ?? answer.sdp ?? '';
      if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && this.options.fault === 'drop-candidates') local = local.replace(/a=candidate:.*\r\n/g, '');
      this.options.signal({ v: SIGNAL_PROTOCOL_VERSION, type: 'answer', to: this.remote, session: this.session, sdp: local });
    });
  }

  /** ICE + DTLS + channel open must finish within the deadline, or the link fails with `ice-failed`. */
  private armConnectDeadline(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => this.close(new LinkError('ice-failed', 'connect timeout')), this.options.deadlineMs ?? ICE_DEADLINE_DEFAULT_MS);
  }

  acceptAnswer(sdp: string): void {
    if (!this.options.initiator || this.remoteSet) return;
    mark('answer-received', this.remote);
    this.lastProgressAt = performance.now();
    // The answer proves the holder alive and signaling working: the connect deadline counts from here, so an
    // answer slowed by a congested signaling path (the server's uplink full of HTTP) is not taken for a failed ICE.
    if (!this.isOpen) this.armConnectDeadline();
    this.enqueue(async () => {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      await this.flushCandidates();
    });
  }

  addCandidate(candidate: string, mid: string): void {
    if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && this.options.fault === 'drop-candidates') return;
    const type = parseCandidate(candidate)?.type;
    if (type) this.remoteTypes.add(type);
    if (!this.isOpen) this.lastProgressAt = performance.now();
    const init: RTCIceCandidateInit = { candidate, sdpMid: mid };
    if (!this.remoteSet) {
      if (this.pendingCandidates.length < MAX_PENDING_CANDIDATES) this.pendingCandidates.push(init);
      return;
    }
    this.pc.addIceCandidate(init).catch(() => undefined);
  }

  get isOpen(): boolean {
    return !this.closed && this.channel?.readyState === 'open';
  }

  get inflight(): number {
    return this.outgoing.size;
  }

  /** Requests sent or waiting to be sent on this link. */
  get load(): number {
    return this.outgoing.size + this.queue.length;
  }

  /** How long the bytes already asked of this link take at its measured rate (0 while unmeasured). */
  backlogMs(): number {
    const rate = this.meter.bytesPerMs;
    return rate === undefined || rate <= 0 ? 0 : this.queuedBytes / rate;
  }

  /** Bytes asked for on this link and not received yet: what a new request waits behind. */
  get queuedBytes(): number {
    let bytes = 0;
    for (const entry of this.queue) bytes += entry.size;
    for (const entry of this.outgoing.values()) bytes += entry.size - entry.received;
    return bytes;
  }

  /** Asks the remote peer for one asset of known size; pipelined up to MAX_INFLIGHT_REQUESTS. */
  request(asset: string, url: string, size: number): PendingRequest {
    let entry!: Outgoing;
    const promise = new Promise<Uint8Array>((resolve, reject) => {
      entry = { req: this.nextReq++ >>> 0, asset, url, size, received: 0, sent: false, resolve, reject };
    });
    promise.catch(() => undefined);
    if (this.closed) entry.reject(new LinkError('peer-closed'));
    else if (this.queue.length >= MAX_QUEUED_REQUESTS) entry.reject(new LinkError('peer-declined', 'link queue full'));
    else if (this.backlogMs() > LINK_BACKLOG_MS) entry.reject(new LinkError('peer-declined', 'link backlog'));
    else {
      this.queue.push(entry);
      this.opened.then(() => this.pump(), () => undefined);
    }
    return {
      promise,
      progressAt: () => this.lastProgressAt,
      firstByte: () => entry.buffer !== undefined,
      cancel: (reason) => {
        const queued = this.queue.indexOf(entry);
        if (queued >= 0) this.queue.splice(queued, 1);
        if (this.outgoing.delete(entry.req) && entry.sent) this.sendControl({ v: PEER_WIRE_VERSION, type: 'cancel', req: entry.req });
        entry.reject(new LinkError(reason));
        this.pump();
      },
    };
  }

  /** Idempotent; fails every pending request with the given reason. */
  close(err: LinkError = new LinkError('peer-closed')): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = err;
    clearTimeout(this.connectTimer);
    if (err.reason === 'ice-failed') {
      err.candidates = [...new Set([...this.gathered, ...this.remoteTypes])];
      this.reportAttempt(false);
    }
    this.openReject(err);
    for (const entry of [...this.queue, ...this.outgoing.values()]) entry.reject(err);
    this.queue.length = 0;
    this.outgoing.clear();
    for (const upload of this.uploads.values()) upload.cancelled = true;
    this.uploads.clear();
    for (const wake of this.drainWaiters.splice(0)) wake();
    try {
      this.channel?.close();
      this.pc.close();
    } catch {
      // already closed
    }
    this.options.onClosed(this);
  }

  /** Once per link: how the connection attempt ended, for signaling's view of this network. */
  private reportAttempt(ok: boolean, pair: SelectedPair = {}, ms = performance.now() - this.started): void {
    if (this.attemptReported) return;
    this.attemptReported = true;
    this.options.signal({
      v: SIGNAL_PROTOCOL_VERSION, type: 'link', peer: this.remote, ok, ...pair,
      gathered: [...this.gathered], ms: Math.round(ms),
    });
  }

  private enqueue(step: () => Promise<void>): void {
    // Steps check `closed` after each await: a link closed mid-negotiation sends nothing more.
    this.ops = this.ops.then(() => (this.closed ? undefined : step())).catch(() => this.close(new LinkError('ice-failed', 'negotiation failed')));
  }

  private async flushCandidates(): Promise<void> {
    this.remoteSet = true;
    for (const init of this.pendingCandidates.splice(0)) await this.pc.addIceCandidate(init).catch(() => undefined);
  }

  private attach(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = SEND_BUFFER_LOW_BYTES;
    channel.onopen = () => {
      mark('channel-open', this.remote);
      clearTimeout(this.connectTimer);
      this.lastProgressAt = performance.now();
      const ms = performance.now() - this.started;
      this.meter.connectMs = ms;
      this.openResolve();
      this.pc.getStats().then((stats) => this.reportAttempt(true, selectedPair(stats), ms), () => this.reportAttempt(true, {}, ms));
    };
    channel.onclose = () => this.close(new LinkError('peer-closed'));
    channel.onerror = () => this.close(new LinkError('peer-closed'));
    channel.onbufferedamountlow = () => {
      for (const wake of this.drainWaiters.splice(0)) wake();
    };
    channel.onmessage = (event) => {
      try {
        if (typeof event.data === 'string') this.onControl(parseControlMessage(event.data));
        else if (event.data instanceof ArrayBuffer) this.onChunk(event.data);
      } catch {
        // A peer speaking garbage is dropped; the requests it owed us fall back.
        this.close(new LinkError('protocol-violation'));
      }
    };
  }

  private pump(): void {
    while (!this.closed && this.channel?.readyState === 'open' && this.outgoing.size < MAX_INFLIGHT_REQUESTS && this.queue.length > 0) {
      const entry = this.queue.shift() as Outgoing;
      entry.sentIdle = this.outgoing.size === 0;
      entry.sentAt = performance.now();
      this.outgoing.set(entry.req, entry);
      entry.sent = true;
      mark('request-sent', entry.asset);
      this.sendControl({ v: PEER_WIRE_VERSION, type: 'request', req: entry.req, asset: entry.asset, url: entry.url });
    }
  }

  private sendControl(message: PeerControlMessage): void {
    if (this.channel?.readyState !== 'open') return;
    this.channel.send(JSON.stringify({ ...message, v: PEER_WIRE_VERSION }));
  }

  private onControl(message: PeerControlMessage): void {
    switch (message.type) {
      case 'request':
        void this.serve(message.req, message.asset, message.url);
        return;
      case 'cancel': {
        const upload = this.uploads.get(message.req);
        if (upload) upload.cancelled = true;
        return;
      }
      case 'header': {
        const entry = this.outgoing.get(message.req);
        if (!entry) return;
        if (entry.buffer || message.size !== entry.size) throw new Error('unexpected header');
        entry.buffer = new Uint8Array(entry.size);
        mark('first-byte', entry.asset);
        this.lastProgressAt = performance.now();
        entry.headerAt = this.lastProgressAt;
        if (entry.sentIdle && entry.sentAt !== undefined) this.meter.noteRtt(entry.headerAt - entry.sentAt);
        if (entry.size === 0) this.finish(entry);
        return;
      }
      case 'decline': {
        const entry = this.outgoing.get(message.req);
        if (!entry) return;
        this.outgoing.delete(entry.req);
        entry.reject(new LinkError('peer-declined', message.reason));
        this.pump();
        return;
      }
    }
  }

  private onChunk(data: ArrayBuffer): void {
    const frame = decodeChunk(data);
    const entry = this.outgoing.get(frame.req);
    if (!entry) return; // cancelled request: late chunks are expected
    // Ordered, reliable channel: chunks must arrive in order after the header.
    if (!entry.buffer || frame.total !== entry.size || frame.offset !== entry.received) throw new Error('chunk out of order');
    entry.buffer.set(frame.payload, frame.offset);
    entry.received += frame.payload.byteLength;
    this.bytesIn += frame.payload.byteLength;
    this.lastProgressAt = performance.now();
    if (entry.received === entry.size) this.finish(entry);
  }

  private finish(entry: Outgoing): void {
    mark('last-byte', entry.asset);
    const now = performance.now();
    // Its bytes flowed from its header, or from the end of the transfer before it when that ended later.
    this.meter.noteTransfer(entry.size, now - Math.max(entry.headerAt ?? now, this.lastFinishAt));
    this.lastFinishAt = now;
    this.outgoing.delete(entry.req);
    entry.resolve(entry.buffer as Uint8Array);
    this.pump();
  }

  private async serve(req: number, asset: string, url: string): Promise<void> {
    if (this.uploads.has(req)) return;
    const decision = this.options.serve(asset, url);
    if (!decision.bytes) {
      this.sendControl({ v: PEER_WIRE_VERSION, type: 'decline', req, reason: decision.decline ?? 'not-held' });
      return;
    }
    const state = { cancelled: false };
    this.uploads.set(req, state);
    // One upload at a time, in request order (as the seeder serves): interleaving them
    // would make every image on the link finish as late as the last one.
    const before = this.uploadTurn;
    let release!: () => void;
    this.uploadTurn = new Promise<void>((resolve) => {
      release = resolve;
    });
    let bytes = decision.bytes;
    if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && this.options.fault === 'corrupt-bytes' && bytes.length > 0) {
      bytes = bytes.slice();
      const middle = bytes.length >> 1;
      bytes[middle] = (bytes[middle] as number) ^ 0xff;
    }
    let sent = 0;
    try {
      await before;
      if (state.cancelled || this.closed) return;
      this.sendControl({ v: PEER_WIRE_VERSION, type: 'header', req, size: bytes.length });
      for (let offset = 0; offset < bytes.length; offset += CHUNK_PAYLOAD_BYTES) {
        if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && this.options.fault === 'close-mid-transfer' && offset >= bytes.length / 2) {
          this.close(new LinkError('peer-closed', 'fault: close mid-transfer'));
          return;
        }
        // A holder that goes silent with the link still open: the asker's stall deadline must end the wait.
        if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && this.options.fault === 'stall-mid-transfer' && offset >= bytes.length / 2) return;
        const channel = this.channel;
        if (state.cancelled || this.closed || !channel || channel.readyState !== 'open') return;
        if (channel.bufferedAmount > SEND_BUFFER_HIGH_BYTES) {
          await new Promise<void>((wake) => this.drainWaiters.push(wake));
          if (state.cancelled || this.closed || channel.readyState !== 'open') return;
        }
        const payload = bytes.subarray(offset, offset + CHUNK_PAYLOAD_BYTES);
        channel.send(encodeChunk(req, offset, bytes.length, payload) as Uint8Array<ArrayBuffer>);
        sent += payload.byteLength;
        this.bytesOut += payload.byteLength;
      }
    } catch {
      this.close(new LinkError('peer-closed', 'send failed'));
    } finally {
      this.uploads.delete(req);
      decision.done?.(sent);
      release();
    }
  }
}
