import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import WebTorrent, { type Torrent } from 'webtorrent';
import parseTorrent from 'parse-torrent';
import type { CachedBody } from '../cache/byte-cache.js';
import { installIceCompleteFix } from './ice-complete-fix.js';
import type { IceServer } from '../../protocol/signal-messages.js';

/** Torrents seeded at once; the least recently added is dropped beyond this. */
export const MAX_SEEDED_TORRENTS = 64;
export const SEED_READY_TIMEOUT_MS = 60_000;
/** How long a new torrent waits for its first tracker answer before it counts as seeded anyway. */
export const FIRST_ANNOUNCE_TIMEOUT_MS = 5_000;
/** Longest a close() waits for WebTorrent to let go. */
const CLOSE_TIMEOUT_MS = 2_000;

export interface TorrentSeederOptions {
  /** `ws(s)://<proxy>/<prefix>/tracker` */
  trackerUrl: string;
  iceServers: IceServer[];
  uploadBytesPerSec: number;
  /** Directory for the seeded copies (removed on close). */
  dataDir: string;
  maxPeers: number;
  logger?: Logger;
  onBytes?: (bytes: number) => void;
}

/**
 * Seeds every video/audio torrent with WebTorrent over WebRTC, announcing only to
 * the proxy's tracker (no DHT, LSD, PEX or NAT traversal: nothing leaves for the
 * internet). Each torrent is seeded from its own copy of the bytes so cache
 * eviction cannot pull a file from under a swarm.
 */
export class TorrentSeeder {
  private readonly client: WebTorrent;
  private readonly seeded = new Map<string, Torrent>();
  private readonly pending = new Map<string, Promise<Torrent | undefined>>();
  private closed = false;
  /** Aborted by close(): waits inside a seed job end at once instead of at their timeouts. */
  private readonly closeSignal = new AbortController();

  constructor(private readonly options: TorrentSeederOptions) {
    installIceCompleteFix();
    this.client = new WebTorrent({
      dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false,
      maxConns: options.maxPeers,
      tracker: { rtcConfig: { iceServers: options.iceServers } },
    });
    this.client.throttleUpload(options.uploadBytesPerSec);
    this.client.on('error', (err: unknown) => options.logger?.error({ err }, 'webtorrent client error'));
  }

  get infoHashes(): string[] {
    return [...this.seeded.keys()];
  }

  /** True once every piece of the torrent is here (seeding, not still downloading). */
  isComplete(infoHash: string): boolean {
    return this.seeded.get(infoHash)?.done === true;
  }

  /** Starts seeding (idempotent per info hash); resolves once the torrent's pieces are verified. */
  seed(torrentFile: Uint8Array, body: CachedBody): Promise<Torrent | undefined> {
    return this.start(torrentFile, { body });
  }

  /**
   * Joins a torrent whose bytes are not here (the external seeder): downloads them
   * from the proxy's webseed, then keeps seeding. Resolves once the torrent is ready.
   */
  fetchAndSeed(torrentFile: Uint8Array, webseedBase: string): Promise<Torrent | undefined> {
    return this.start(torrentFile, { webseedBase: webseedBase.replace(/\/$/, '') });
  }

  private async start(torrentFile: Uint8Array, source: { body?: CachedBody; webseedBase?: string }): Promise<Torrent | undefined> {
    if (this.closed) return undefined;
    const parsed = await parseTorrent(torrentFile);
    if (this.closed) return undefined;
    const infoHash = parsed.infoHash;
    const existing = this.seeded.get(infoHash);
    if (existing) return existing;
    const inflight = this.pending.get(infoHash);
    if (inflight) return inflight;
    const job = (async () => {
      const dir = join(this.options.dataDir, infoHash);
      await mkdir(dir, { recursive: true });
      if (this.closed) return undefined;
      const { body, webseedBase } = source;
      const target = join(dir, parsed.files[0]?.path ?? parsed.name);
      if (body?.kind === 'file') await copyFile(body.path, target);
      else if (body) await writeFile(target, body.data);
      if (this.closed) return undefined;
      // Stored torrents name their webseed by path only; an absolute URL is needed to download.
      const urlList = body ? [] : parsed.urlList.map((url) => (url.startsWith('/') ? `${webseedBase}${url}` : url));
      while (this.seeded.size >= MAX_SEEDED_TORRENTS) {
        const [oldest, torrent] = this.seeded.entries().next().value as [string, Torrent];
        this.seeded.delete(oldest);
        torrent.destroy();
        void rm(join(this.options.dataDir, oldest), { recursive: true, force: true });
      }
      const torrent = this.client.add({ ...parsed, announce: [this.options.trackerUrl], urlList }, { path: dir });
      const ready = await firstEvent(torrent, ['ready', 'error'], SEED_READY_TIMEOUT_MS, this.closeSignal.signal);
      // close() destroyed the client and with it this torrent.
      if (this.closed) return undefined;
      if (!ready || ready.event === 'error') {
        // Leave nothing behind, so a later seed() of the same torrent can add it again.
        torrent.destroy();
        throw ready?.arg instanceof Error ? ready.arg : new Error(ready ? String(ready.arg) : 'torrent did not become ready');
      }
      // Resolve once the tracker has answered, so a visitor who asks for the torrent
      // right after this finds the seeder in the swarm; bounded, because an
      // unreachable tracker must not hold the job (WebTorrent keeps announcing).
      await firstEvent(torrent, ['trackerAnnounce'], FIRST_ANNOUNCE_TIMEOUT_MS, this.closeSignal.signal);
      if (this.closed) return undefined;
      let lastUploaded = 0;
      torrent.on('upload', () => {
        const delta = torrent.uploaded - lastUploaded;
        lastUploaded = torrent.uploaded;
        if (delta > 0) this.options.onBytes?.(delta);
      });
      this.seeded.set(infoHash, torrent);
      this.options.logger?.info({ infoHash, done: torrent.done }, 'seeding torrent');
      return torrent;
    })().finally(() => this.pending.delete(infoHash));
    this.pending.set(infoHash, job);
    return job.catch((err: unknown) => {
      this.options.logger?.warn({ err, infoHash }, 'seeding failed');
      return undefined;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeSignal.abort();
    // Destroying the client may wait for peers and trackers that are gone: neither
    // step may hold shutdown for longer than the bound.
    await withDeadline(new Promise<void>((resolve) => this.client.destroy(() => resolve())), CLOSE_TIMEOUT_MS);
    await withDeadline(Promise.allSettled([...this.pending.values()]), CLOSE_TIMEOUT_MS);
    this.seeded.clear();
    await rm(this.options.dataDir, { recursive: true, force: true });
  }
}

/**
 * The first of `events` the emitter fires (with its argument), or undefined after
 * `ms` or once `signal` aborts. Listeners are removed either way.
 */
function firstEvent(
  emitter: Torrent, events: readonly string[], ms: number, signal: AbortSignal,
): Promise<{ event: string; arg: unknown } | undefined> {
  return new Promise((resolve) => {
    const handlers = events.map((event) => [event, (arg: unknown) => settle({ event, arg })] as const);
    const timer = setTimeout(() => settle(undefined), ms);
    timer.unref();
    const onAbort = (): void => settle(undefined);
    function settle(result: { event: string; arg: unknown } | undefined): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      for (const [event, handler] of handlers) emitter.removeListener(event, handler);
      resolve(result);
    }
    if (signal.aborted) return settle(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    for (const [event, handler] of handlers) emitter.once(event, handler);
  });
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
