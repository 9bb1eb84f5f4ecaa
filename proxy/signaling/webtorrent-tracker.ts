import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import TrackerServer from 'bittorrent-tracker/server';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../core/logger.js';
import type { AddressLimiter } from './address-limiter.js';
import type { GeoLookup } from './geo-lookup.js';
import { networkKey } from './network-key.js';
import type { PeerLocation } from './pairing.js';
import { rejectUpgrade } from './reject-upgrade.js';
import { TokenBucket } from '../../core/utils/token-bucket.js';
import { ProximitySwarm } from './tracker-swarm.js';
import { TrackerMessageError, validateTrackerMessage } from './tracker-message.js';

/** An announce carries up to ~10 SDP offers; 128 KiB leaves room without inviting abuse. */
const TRACKER_MAX_MESSAGE_BYTES = 128 * 1024;
/** WebTorrent re-announces every interval/5 over WebSocket (see bittorrent-tracker), so 10 min → 2 min. */
const ANNOUNCE_INTERVAL_MS = 10 * 60 * 1000;
/** Swarms whose last peer left are forgotten this often (bittorrent-tracker never deletes them). */
const PRUNE_INTERVAL_MS = 60_000;
/** Messages per socket: answers to offers come in bursts when many peers join at once. */
const RATE_BURST = 200;
const RATE_PER_SEC = 50;
/** Invalid frames tolerated per socket before it is cut. */
const MAX_INVALID_FRAMES = 8;

export interface WebTorrentTrackerOptions {
  limiter: AddressLimiter;
  /** Peers kept per swarm (least recently announced are evicted). */
  maxPeersPerSwarm: number;
  /** Swarms tracked at once; announces for new ones beyond it are refused. */
  maxSwarms: number;
  /** When set, only these infohashes (hex) get a swarm: the torrents the seeder made. */
  knownInfoHash?: (infoHash: string) => boolean;
  /** With geoLocate on: offers go to the closest peers first (else to random ones, as upstream). */
  geo?: GeoLookup;
  logger: Logger;
}

export interface TrackerStats {
  connections: number;
  swarms: number;
  peers: number;
  refusedAnnounces: number;
  floodCloses: number;
  invalidFrames: number;
}

/**
 * The WebTorrent tracker at `<prefix>/tracker`: bittorrent-tracker's server with
 * its HTTP, UDP and own WebSocket listeners off, fed the sockets we accept on the
 * proxy's HTTP server. Limits the library lacks (connections per address, message
 * rate, swarm count, infohash filter) are enforced here.
 */
export class WebTorrentTracker {
  private readonly tracker: TrackerServer;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly locations = new WeakMap<WebSocket, PeerLocation>();
  private readonly pruneTimer: NodeJS.Timeout;
  private refusedAnnounces = 0;
  private floodCloses = 0;
  private invalidFrames = 0;
  private closed = false;

  constructor(private readonly options: WebTorrentTrackerOptions) {
    this.tracker = new TrackerServer({
      http: false, udp: false, ws: false, stats: false,
      interval: ANNOUNCE_INTERVAL_MS,
      peersCacheLength: options.maxPeersPerSwarm,
      filter: (infoHash, _params, cb) => cb(this.refusal(infoHash)),
    });
    const locate = (socket: WebSocket) => this.locations.get(socket);
    // The library's createSwarm replaces any swarm already there, so two first
    // announces racing for a new torrent could drop one peer (often the seeder).
    // Reuse the existing swarm; with geoLocate, use the proximity-ranking swarm.
    this.tracker.createSwarm = (infoHash, cb) => {
      process.nextTick(() => {
        const existing = this.tracker.torrents[infoHash];
        if (existing) return cb(null, existing);
        const swarm = options.geo
          ? new ProximitySwarm(infoHash, this.tracker, locate)
          : new TrackerServer.Swarm(infoHash, this.tracker);
        this.tracker.torrents[infoHash] = swarm;
        cb(null, swarm);
      });
    };
    // A misbehaving client is a warning, never a crash.
    this.tracker.on('warning', (err: Error) => options.logger.debug({ err: err.message }, 'tracker warning'));
    this.tracker.on('error', (err: Error) => options.logger.error({ err }, 'tracker error'));
    this.wss = new WebSocketServer({
      noServer: true, maxPayload: TRACKER_MAX_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false,
    });
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS).unref();
  }

  /** Router upgrade hook for `<prefix>/tracker`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientAddress: string): void {
    if (this.closed) return rejectUpgrade(socket, 'PC_ERR_SHUTTING_DOWN');
    const release = this.options.limiter.acquire(clientAddress);
    if (!release) return rejectUpgrade(socket, 'PC_ERR_RATE_LIMITED');
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, clientAddress));
  }

  stats(): TrackerStats {
    let peers = 0;
    const swarms = Object.values(this.tracker.torrents);
    for (const swarm of swarms) peers += swarm.peers.length;
    return {
      connections: this.sockets.size, swarms: swarms.length, peers,
      refusedAnnounces: this.refusedAnnounces, floodCloses: this.floodCloses, invalidFrames: this.invalidFrames,
    };
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.wss.close();
    this.tracker.close();
  }

  private onConnection(ws: WebSocket, address: string): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    this.sockets.add(ws);
    if (this.options.geo) {
      const country = this.options.geo.country(address);
      this.locations.set(ws, { network: networkKey(address), ...(country ? { country } : {}) });
    }
    ws.on('close', () => this.sockets.delete(ws));
    this.tracker.onWebSocketConnection(ws);
    // The library's message listener only ever sees frames that passed the rate
    // limit and validation: take it off the socket and call it from ours.
    const libraryListeners = ws.listeners('message') as ((data: string) => void)[];
    ws.removeAllListeners('message');
    const bucket = new TokenBucket(RATE_BURST, RATE_PER_SEC, Date.now());
    let invalid = 0;
    ws.on('message', (data, isBinary) => {
      if (!bucket.take(Date.now())) {
        this.floodCloses++;
        ws.terminate();
        return;
      }
      const text = isBinary ? '' : data.toString();
      try {
        validateTrackerMessage(text);
      } catch (err) {
        this.invalidFrames++;
        if (++invalid >= MAX_INVALID_FRAMES) {
          ws.terminate();
          return;
        }
        const reason = err instanceof TrackerMessageError ? err.message : 'invalid message';
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ 'failure reason': reason }));
        return;
      }
      for (const listener of libraryListeners) listener.call(ws, text);
    });
  }

  private refusal(infoHash: string): Error | null {
    if (this.tracker.torrents[infoHash]) return null;
    if (this.options.knownInfoHash && !this.options.knownInfoHash(infoHash)) {
      this.refusedAnnounces++;
      return new Error('unknown torrent');
    }
    if (Object.keys(this.tracker.torrents).length >= this.options.maxSwarms) {
      this.refusedAnnounces++;
      return new Error('tracker is full');
    }
    return null;
  }

  private prune(): void {
    for (const [infoHash, swarm] of Object.entries(this.tracker.torrents)) {
      if (swarm.peers.length === 0) delete this.tracker.torrents[infoHash];
    }
  }
}
