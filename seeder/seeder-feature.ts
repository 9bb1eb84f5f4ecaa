import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config } from '../core/config/options.js';
import type { Metrics } from '../core/metrics.js';
import type { Feature, HolderCounts, Routes } from '../core/feature.js';
import { ByteCache, type CachedBody } from './cache/byte-cache.js';
import { registerSeederRoutes } from './http/seeder-routes.js';
import { MediaIndex, type AssetRecord } from './index/media-index.js';
import type { SharedManifests } from '../core/shared-manifests.js';
import { UrlScope } from './index/url-scope.js';
import { SeederPeer } from './peer/seeder-peer.js';
import { prebuildFolder } from './torrent/prebuild.js';
import { TorrentRouteError, TorrentStore } from './torrent/torrent-store.js';

export interface SeederFeatureOptions {
  config: Config;
  origin: URL;
  logger?: Logger;
  metrics?: Metrics;
  /** When given, manifest, webseed and torrent routes are registered on it. */
  routes?: Routes;
  /** Browser holders per asset, reported in manifests (signaling's registry; none in the external seeder). */
  holders?: HolderCounts;
  /** Index freshness (tests shorten it). */
  freshMs?: number;
  /** Image manifests shared with other proxy instances (REDIS_URL); none: the index works alone. */
  sharedManifests?: SharedManifests;
  dispatcher?: Dispatcher;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * Everything the seeder does, as one Feature: media index and byte cache, torrent
 * store, `/manifest`, `/seed/<id>` and `/torrents/<ih>.torrent` routes, and
 * (embedded mode, after the server listens) the headless peer.
 */
export class SeederFeature implements Feature {
  readonly name = 'seeder';
  readonly cache: ByteCache;
  readonly index: MediaIndex;
  readonly torrents: TorrentStore;
  peer: SeederPeer | undefined;
  /** Records indexed before the peer started, seeded once it does. */
  private readonly unseeded = new Map<string, { record: AssetRecord; body: CachedBody }>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SeederFeatureOptions) {
    const { config, metrics, logger } = options;
    this.cache = new ByteCache({
      maxBytes: config.cacheMaxBytes,
      onSize: (bytes) => metrics?.cacheBytes.set(bytes),
      onLookup: (result) => metrics?.cacheLookups.inc({ result }),
    });
    const scope = new UrlScope(options.origin, [hostOf(config.publicUrl), config.domainName, hostOf(config.proxyUrl)]);
    this.torrents = new TorrentStore(config.torrentRoute, config.prefix, config.trackerUrl);
    this.index = new MediaIndex({
      scope,
      cache: this.cache,
      torrents: this.torrents,
      imageMaxBytes: config.imageMaxBytes,
      mediaTypes: config.mediaTypes,
      freshMs: options.freshMs,
      dispatcher: options.dispatcher,
      logger: logger?.child({ name: 'peerconnect:seeder:index' }),
      onTorrent: (record, body) => this.onTorrent(record, body),
      ...(options.sharedManifests ? { shared: options.sharedManifests } : {}),
    });
    if (options.routes) {
      registerSeederRoutes(options.routes, {
        index: this.index,
        torrents: this.torrents,
        holders: options.holders,
        onWebseedBytes: (bytes) => metrics?.seederUploadBytes.inc({ channel: 'webseed' }, bytes),
      });
    }
  }

  /**
   * Checks that torrentRoute can be written, so a read-only or full directory is
   * an error in the log at start rather than a surprise at the first video.
   * Never throws: images and HTTP media do not need it.
   */
  async start(): Promise<void> {
    try {
      await this.torrents.checkWritable();
    } catch (err) {
      if (!(err instanceof TorrentRouteError)) throw err;
      this.options.logger?.error({ code: err.code }, err.message);
    }
  }

  /** Starts the headless peer against a proxy (embedded: this server over loopback). */
  async startPeer(proxyUrl: URL): Promise<SeederPeer> {
    if (this.peer) return this.peer;
    const { config, metrics, logger } = this.options;
    const dataDir = await this.cache.pinnedPath('seeding');
    // close(), or another startPeer, may have run while the directory was made:
    // a peer started now would never be closed.
    if (this.closing) throw new Error('seeder closed before its peer started');
    if (this.peer) return this.peer;
    this.peer = new SeederPeer({
      proxyUrl,
      prefix: config.prefix,
      ...(config.trackerUrl !== undefined ? { trackerUrl: config.trackerUrl } : {}),
      // The seeder secret: SEEDER_TOKEN, else ADMIN_TOKEN (the composition root fills in the embedded seeder's random one).
      adminToken: config.seederToken ?? config.adminToken,
      index: this.index,
      torrents: this.torrents,
      iceServers: config.iceServers,
      uploadBytesPerSec: config.seederUploadBytesPerSec,
      maxPeers: config.seederMaxPeers,
      dataDir,
      logger,
      onBytes: (channel, bytes) => metrics?.seederUploadBytes.inc({ channel }, bytes),
    });
    this.peer.start();
    for (const { record, body } of this.unseeded.values()) void this.peer.seedRecord(record, body);
    this.unseeded.clear();
    return this.peer;
  }

  /** Indexes (and so builds torrents for) the media files of a local folder mirrored on the origin. */
  prebuild(folder: string = this.options.config.videoRoute): Promise<number> {
    return prebuildFolder(folder, this.index, this.options.logger);
  }

  ready(): boolean {
    return this.closing === undefined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.index.close();
      await this.peer?.close();
      await this.cache.close();
    })();
    return this.closing;
  }

  private onTorrent(record: AssetRecord, body: CachedBody): void {
    if (this.peer) {
      void this.peer.seedRecord(record, body);
    } else if (this.options.config.seederMode === 'embedded' && this.unseeded.size < 64) {
      this.unseeded.set(record.upstream, { record, body });
    }
  }
}
