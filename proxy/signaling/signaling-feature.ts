import type { Config } from '../../core/config/options.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Feature, KnownTorrents, Routes } from '../../core/feature.js';
import { AddressLimiter } from './address-limiter.js';
import type { ConnectivityLog, ConnectivityStats } from './connectivity.js';
import { GeoLookup } from './geo-lookup.js';
import type { IceServer } from '../../protocol/signal-messages.js';
import { TurnCredentials } from './turn-credentials.js';
import { networkKey } from './network-key.js';
import type { PeerRegistry, RegistryStats } from './peer-registry.js';
import { SignalingServer, type SignalingServerStats } from './signaling-server.js';
import type { RemoteSessions } from './session-lifetime.js';
import { createThresholdPolicy, type DeliveryPolicy } from './threshold-policy.js';
import { WebTorrentTracker, type TrackerStats } from './webtorrent-tracker.js';

/** Assets listed in stats().topAssets. */
const STATS_TOP_ASSETS = 10;
const TRACKER_MAX_PEERS_PER_SWARM = 500;
const TRACKER_MAX_SWARMS = 10_000;

export type SignalingStats = RegistryStats & Omit<SignalingServerStats, 'connections'> & {
  connections: number;
  tracker: TrackerStats;
  /** Per-network link figures; absent when no connectivity log was given. */
  connectivity?: ConnectivityStats;
};

export interface SignalingFeatureOptions {
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  /** Where `<prefix>/signal` and `<prefix>/tracker` are registered (refused until start()). */
  routes: Routes;
  /** Who holds what; chosen by the composition root (in-memory today). */
  registry: PeerRegistry;
  /** The tracker opens swarms only for torrents this server built. */
  knownTorrents: KnownTorrents;
  /** The built-in STUN responder's UDP port while it listens (undefined: not running), advertised in `welcome`. */
  stunPort?: () => number | undefined;
  /**
   * Learns from browsers' `link` reports which visitor networks cannot make
   * WebRTC links; their pages get every asset over HTTP (policyFor). Chosen by
   * the composition root; none: reports are only counted.
   */
  connectivity?: ConnectivityLog;
  /** A TURN server is configured, so pairing may match two symmetric NATs. @default false */
  turnAvailable?: boolean;
  /** Peers on other proxy instances (REDIS_URL), reached through Redis; chosen by the composition root. */
  remote?: RemoteSessions;
  /**
   * The secret role seeder needs. The composition root passes SEEDER_TOKEN,
   * else ADMIN_TOKEN, else a random per-process one it also gives the embedded seeder.
   * @default SEEDER_TOKEN ?? ADMIN_TOKEN, else no seeder can join
   */
  seederSecret?: string;
}

/**
 * Signaling (`<prefix>/signal`) and the WebTorrent tracker (`<prefix>/tracker`)
 * as one feature of the proxy, plus the threshold policy the injector asks.
 */
export class SignalingFeature implements Feature {
  readonly name = 'signaling';
  readonly registry: PeerRegistry;
  /** Per asset: 'peer' once `threshold` browsers hold it, else 'http'. Pages ask policyFor(). */
  readonly policy: DeliveryPolicy;
  private readonly limiter: AddressLimiter;
  private signaling: SignalingServer | undefined;
  private tracker: WebTorrentTracker | undefined;
  private closed = false;
  /** Mints per-visitor TURN credentials when TURN_URLS and TURN_SECRET are set. */
  private readonly turn: TurnCredentials | undefined;

  constructor(private readonly options: SignalingFeatureOptions) {
    this.registry = options.registry;
    this.policy = createThresholdPolicy(this.registry, options.config.threshold);
    this.limiter = new AddressLimiter(options.config.signalMaxPeersPerIp);
    const { turnUrls, turnSecret, turnTtlS } = options.config;
    if (turnUrls.length > 0 && turnSecret !== undefined) this.turn = new TurnCredentials({ urls: turnUrls, secret: turnSecret, ttlS: turnTtlS });
    options.routes.upgrade('signal', (req, socket, head, ctx) => {
      if (!this.signaling) return socket.destroy();
      this.signaling.handleUpgrade(req, socket, head, ctx.clientAddress);
    });
    options.routes.upgrade('tracker', (req, socket, head, ctx) => {
      if (!this.tracker) return socket.destroy();
      this.tracker.handleUpgrade(req, socket, head, ctx.clientAddress);
    });
  }

  async start(): Promise<void> {
    if (this.closed || this.signaling) return;
    const { config, logger, metrics } = this.options;
    const geo = config.geoLocate ? new GeoLookup() : undefined;
    this.signaling = new SignalingServer({
      registry: this.registry,
      limiter: this.limiter,
      geo,
      iceServers: (peerId, host) => this.iceServersFor(peerId, host),
      seederSecret: this.options.seederSecret ?? config.seederToken ?? config.adminToken ?? '',
      maxPeers: config.signalMaxPeers,
      heartbeatMs: config.signalHeartbeatMs,
      seederMaxUploads: config.seederMaxPeers,
      ...(this.options.connectivity ? { connectivity: this.options.connectivity } : {}),
      turnAvailable: this.options.turnAvailable ?? false,
      ...(this.options.remote ? { remote: this.options.remote } : {}),
      logger: logger.child({ module: 'peerconnect:signaling' }),
      ...(metrics ? { metrics } : {}),
    });
    this.tracker = new WebTorrentTracker({
      limiter: this.limiter,
      maxPeersPerSwarm: TRACKER_MAX_PEERS_PER_SWARM,
      maxSwarms: TRACKER_MAX_SWARMS,
      knownInfoHash: (infoHash) => this.options.knownTorrents.known(infoHash),
      ...(geo ? { geo } : {}),
      logger: logger.child({ module: 'peerconnect:tracker' }),
    });
  }

  /**
   * The delivery policy for one page view by a visitor at `clientAddress`: the
   * threshold policy, or undefined (every asset over HTTP) when the visitor's
   * network is marked `http` because its WebRTC links keep failing.
   */
  policyFor(clientAddress: string): DeliveryPolicy | undefined {
    const connectivity = this.options.connectivity;
    if (connectivity?.mode(networkKey(clientAddress)) !== 'http') return this.policy;
    this.options.metrics?.networkHttpPages.inc();
    return undefined;
  }

  ready(): boolean {
    return this.signaling !== undefined && !this.closed;
  }

  /**
   * One visitor's `welcome` list: the configured servers as they are, a TURN
   * entry with credentials minted for this peer id, and the built-in STUN
   * responder under the host name the visitor reached us by (PUBLIC_URL's when
   * set, else the Host header's), so it works for the seeder on loopback too.
   */
  iceServersFor(peerId: string, hostHeader: string | undefined): IceServer[] {
    const servers: IceServer[] = this.options.config.iceServers.map((server) => ({ ...server }));
    if (this.turn) servers.push(this.turn.serverFor(peerId));
    const stunPort = this.options.stunPort?.();
    const host = stunPort === undefined ? undefined : advertisedHost(this.options.config.publicUrl, hostHeader);
    if (host !== undefined) servers.push({ urls: `stun:${host}:${stunPort}` });
    return servers;
  }

  /** Live counts for `/__p2p/stats` (cheap: O(assets) for the top list). */
  stats(): SignalingStats {
    const registry = this.registry.stats(STATS_TOP_ASSETS);
    const server = this.signaling?.stats();
    return {
      ...registry,
      connections: server?.connections ?? 0,
      messagesTotal: server?.messagesTotal ?? 0,
      messagesPerSec: server?.messagesPerSec ?? 0,
      rejectedConnections: server?.rejectedConnections ?? {},
      rejectedMessages: server?.rejectedMessages ?? {},
      policyCloses: server?.policyCloses ?? 0,
      badPeerReports: server?.badPeerReports ?? 0,
      natReports: server?.natReports ?? {},
      linkReports: server?.linkReports ?? { ok: 0, failed: 0, stale: 0 },
      tracker: this.tracker?.stats() ?? { connections: 0, swarms: 0, peers: 0, refusedAnnounces: 0, floodCloses: 0, invalidFrames: 0 },
      ...(this.options.connectivity ? { connectivity: this.options.connectivity.stats() } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signaling?.close();
    this.tracker?.close();
  }
}

/** The host name (IPv6 in brackets) of PUBLIC_URL, else of the request's Host header; undefined when neither parses. */
export function advertisedHost(publicUrl: string | undefined, hostHeader: string | undefined): string | undefined {
  for (const candidate of [publicUrl, hostHeader === undefined ? undefined : `http://${hostHeader}`]) {
    if (candidate === undefined) continue;
    try {
      const { hostname } = new URL(candidate);
      if (hostname !== '' && /^[A-Za-z0-9.:[\]-]+$/.test(hostname)) return hostname;
    } catch {
      // A Host header that is not a host: try the next source, or advertise nothing.
    }
  }
  return undefined;
}
