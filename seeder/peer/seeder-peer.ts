import type { Logger } from 'pino';
import type { CachedBody } from '../cache/byte-cache.js';
import type { AssetRecord, MediaIndex } from '../index/media-index.js';
import type { TorrentStore } from '../torrent/torrent-store.js';
import { trackerUrl } from '../torrent/torrent-store.js';
import { AssetSource } from './asset-source.js';
import { HeadlessPeer } from './headless-peer.js';
import { SeederSignalClient } from './seeder-signal-client.js';
import { TorrentSeeder } from './torrent-seeder.js';
import type { IceServer } from '../../protocol/signal-messages.js';

/** How often the external seeder looks for new torrents in torrentRoute. */
export const TORRENT_SCAN_MS = 10_000;
const MAX_SCANNED_TORRENTS = 10_000;

export interface SeederPeerOptions {
  /** Base URL of the proxy whose signaling and tracker the seeder joins. */
  proxyUrl: URL;
  prefix: string;
  /** P2P_TRACKER_URL: an external tracker to announce to instead of the proxy's own. */
  trackerUrl?: string;
  adminToken?: string;
  index: MediaIndex;
  torrents: TorrentStore;
  iceServers: IceServer[];
  uploadBytesPerSec: number;
  maxPeers: number;
  /** Where seeded copies of torrent data live. */
  dataDir: string;
  logger?: Logger;
  onBytes?: (channel: 'datachannel' | 'webtorrent', bytes: number) => void;
}

/**
 * The headless server-side peer: a signaling client answering browsers over
 * data channels, plus a WebTorrent client seeding every video/audio torrent.
 * Works the same in the proxy process and in its own process.
 */
export class SeederPeer {
  readonly headless: HeadlessPeer;
  readonly torrentSeeder: TorrentSeeder;
  readonly signal: SeederSignalClient;
  private closing: Promise<void> | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  /** Info hashes already tried by scans (each is attempted once per process). */
  private readonly attempted = new Set<string>();

  constructor(private readonly options: SeederPeerOptions) {
    const source = new AssetSource(options.index);
    this.headless = new HeadlessPeer({
      open: (asset, url) => source.open(asset, url),
      iceServers: options.iceServers,
      uploadBytesPerSec: options.uploadBytesPerSec,
      maxPeers: options.maxPeers,
      logger: options.logger?.child({ name: 'peerconnect:seeder:peer' }),
      onBytes: (bytes) => options.onBytes?.('datachannel', bytes),
    });
    const base = options.proxyUrl.href.replace(/\/$/, '');
    this.torrentSeeder = new TorrentSeeder({
      trackerUrl: options.trackerUrl ?? trackerUrl(base, options.prefix),
      iceServers: options.iceServers,
      uploadBytesPerSec: options.uploadBytesPerSec,
      dataDir: options.dataDir,
      maxPeers: options.maxPeers,
      logger: options.logger?.child({ name: 'peerconnect:seeder:webtorrent' }),
      onBytes: (bytes) => options.onBytes?.('webtorrent', bytes),
    });
    this.signal = new SeederSignalClient({
      url: `${base.replace(/^http/, 'ws')}${options.prefix}/signal`,
      token: options.adminToken,
      logger: options.logger?.child({ name: 'peerconnect:seeder:signal' }),
      onMessage: (message, send) => this.headless.handle(message, send),
      // Each (re)connection's welcome carries fresh TURN credentials for this peer.
      onWelcome: (_id, iceServers) => this.headless.setIceServers(iceServers),
    });
  }

  start(): void {
    this.signal.start();
  }

  /**
   * External mode: seeds the torrents the proxy wrote to a shared torrentRoute,
   * fetching their bytes once from the proxy's webseed. Checks every
   * TORRENT_SCAN_MS; returns how many new torrents were started this round.
   */
  async scanTorrents(): Promise<number> {
    let started = 0;
    for (const infoHash of await this.options.torrents.list()) {
      if (this.closing) break;
      if (this.torrentSeeder.infoHashes.includes(infoHash) || this.attempted.has(infoHash)) continue;
      if (this.attempted.size >= MAX_SCANNED_TORRENTS) break;
      this.attempted.add(infoHash);
      const file = await this.options.torrents.read(infoHash);
      if (this.closing) break;
      if (!file) continue;
      void this.torrentSeeder.fetchAndSeed(file, this.options.proxyUrl.href);
      started++;
    }
    return started;
  }

  /** Starts periodic scans (external mode). */
  watchTorrents(): void {
    if (this.scanTimer || this.closing) return;
    const run = (): void => {
      void this.scanTorrents().catch((err: unknown) => this.options.logger?.warn({ err }, 'torrent scan failed'));
    };
    run();
    this.scanTimer = setInterval(run, TORRENT_SCAN_MS);
    this.scanTimer.unref();
  }

  /** Seeds the torrent of a freshly indexed video/audio asset. */
  async seedRecord(record: AssetRecord, body: CachedBody): Promise<boolean> {
    if (!record.infoHash) return false;
    const file = await this.options.torrents.read(record.infoHash);
    if (!file || this.closing) return false;
    return (await this.torrentSeeder.seed(file, body)) !== undefined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.scanTimer);
      this.signal.close();
      this.headless.close();
      await this.torrentSeeder.close();
    })();
    return this.closing;
  }
}
