import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import createTorrent from 'create-torrent';
import parseTorrent, { toTorrentFile, type ParsedTorrent } from 'parse-torrent';
import { LRUCache } from 'lru-cache';
import { pieceLengthFor } from './piece-length.js';
import { PeerConnectError } from '../../core/errors.js';

export const INFO_HASH_PATTERN = /^[0-9a-f]{40}$/;
/** Served .torrent variants (one per public base) kept in memory. */
const MAX_SERVED_VARIANTS = 256;
const CREATED_BY = 'PeerConnect';
const MAX_KNOWN_CACHE = 4096;
/** A torrent written by another process (the external seeder, a prebuild) is noticed after at most this long. */
const KNOWN_NEGATIVE_TTL_MS = 10_000;

/**
 * The torrentRoute cannot take a torrent (read-only, full, no permission).
 * Never fatal: video and audio keep being served over HTTP without a torrent.
 */
export class TorrentRouteError extends PeerConnectError {
  constructor(readonly dir: string, cause: unknown) {
    const code = (cause as { code?: string }).code ?? (cause as Error).message;
    super('PC_ERR_TORRENT_ROUTE', `torrentRoute ${dir} cannot be written (${code}): video and audio are served over HTTP only, without torrents, until it can`, { cause });
    this.name = 'TorrentRouteError';
  }
}

export interface TorrentSource {
  /** Asset id: the webseed path `<prefix>/seed/<id>`. */
  id: string;
  /** File name inside the torrent (affects the info hash: keep it stable). */
  name: string;
  /** A file path or the bytes. */
  input: string | Buffer;
}

/**
 * Creates and stores .torrent files under `<torrentRoute>/torrents/<infohash>.torrent`.
 * Stored files carry only the webseed path; announce and absolute webseed URLs are
 * added per public base when served, because the proxy may be reached under several
 * names (or the tracker may change with P2P_TRACKER_URL) and neither is part of the info hash.
 */
export class TorrentStore {
  readonly dir: string;
  private readonly variants = new LRUCache<string, Buffer>({ max: MAX_SERVED_VARIANTS });
  /** Answers of `known` (created here or found on disk), so tracker announces rarely touch the disk. */
  private readonly knownCache = new LRUCache<string, boolean>({ max: MAX_KNOWN_CACHE, ttl: KNOWN_NEGATIVE_TTL_MS });
  private ready: Promise<void> | undefined;

  /**
   * `externalTracker` (P2P_TRACKER_URL): the one tracker every served torrent
   * announces; unset, each base's own `<prefix>/tracker`.
   */
  constructor(torrentRoute: string, private readonly prefix: string, private readonly externalTracker?: string) {
    this.dir = join(resolve(torrentRoute), 'torrents');
  }

  /** Builds the torrent of one file, writes it, and returns its info hash and parsed form. */
  async create(source: TorrentSource, size: number): Promise<ParsedTorrent> {
    const torrent = await new Promise<Uint8Array>((resolvePromise, reject) => {
      createTorrent(source.input, {
        name: safeName(source.name),
        pieceLength: pieceLengthFor(size),
        announceList: [],
        urlList: [`${this.prefix}/seed/${source.id}`],
        createdBy: CREATED_BY,
      }, (err, buf) => (err ? reject(err) : resolvePromise(buf)));
    });
    const parsed = await parseTorrent(torrent);
    await this.write(parsed.infoHash, torrent);
    return parsed;
  }

  /** True when this store has (or had written) the torrent: the tracker opens swarms only for these. */
  known(infoHash: string): boolean {
    if (!INFO_HASH_PATTERN.test(infoHash)) return false;
    const cached = this.knownCache.get(infoHash);
    if (cached !== undefined) return cached;
    const found = existsSync(this.pathOf(infoHash));
    this.knownCache.set(infoHash, found, found ? { ttl: 0 } : undefined);
    return found;
  }

  /** Writes and removes a probe file, so a bad torrentRoute is reported at start, not at the first video. */
  async checkWritable(): Promise<void> {
    const probe = join(this.dir, `.write-probe.${process.pid}`);
    try {
      await makeDir(this.dir);
      await writeFile(probe, 'probe');
      await unlink(probe);
    } catch (err) {
      await unlink(probe).catch(() => undefined);
      throw new TorrentRouteError(this.dir, err);
    }
  }

  pathOf(infoHash: string): string {
    if (!INFO_HASH_PATTERN.test(infoHash)) throw new TypeError('not an info hash');
    return join(this.dir, `${infoHash}.torrent`);
  }

  /** Info hashes of the stored torrents (at most `max`). */
  async list(max = 10_000): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const name of names) {
      const m = /^([0-9a-f]{40})\.torrent$/.exec(name);
      if (m) out.push(m[1]!);
      if (out.length >= max) break;
    }
    return out;
  }

  /** The stored torrent, or undefined when unknown. */
  async read(infoHash: string): Promise<Buffer | undefined> {
    if (!INFO_HASH_PATTERN.test(infoHash)) return undefined;
    try {
      return await readFile(this.pathOf(infoHash));
    } catch {
      return undefined;
    }
  }

  /** The .torrent for visitors of `publicBase`: tracker and webseed as absolute URLs on that base. */
  async forBase(infoHash: string, publicBase: string): Promise<Buffer | undefined> {
    const key = `${infoHash} ${publicBase}`;
    const hit = this.variants.get(key);
    if (hit) return hit;
    const stored = await this.read(infoHash);
    if (!stored) return undefined;
    const parsed = await parseTorrent(stored);
    const base = publicBase.replace(/\/$/, '');
    const out = Buffer.from(toTorrentFile({
      ...parsed,
      announce: [this.externalTracker ?? trackerUrl(base, this.prefix)],
      urlList: parsed.urlList.map((url) => (url.startsWith('/') ? base + url : url)),
    }));
    this.variants.set(key, out);
    return out;
  }

  private async write(infoHash: string, torrent: Uint8Array): Promise<void> {
    const target = this.pathOf(infoHash);
    const temp = `${target}.${process.pid}.tmp`;
    try {
      this.ready ??= makeDir(this.dir);
      await this.ready;
      await writeFile(temp, torrent);
      await rename(temp, target);
    } catch (err) {
      // A full disk leaves a truncated temp file; a failed mkdir is tried again next time (the operator may fix it).
      this.ready = undefined;
      await unlink(temp).catch(() => undefined);
      throw new TorrentRouteError(this.dir, err);
    }
    this.knownCache.set(infoHash, true, { ttl: 0 });
  }
}

/**
 * `mkdir -p` that names the real cause: a recursive mkdir on a read-only file
 * system reports ENOENT; the plain mkdir of the last level says EROFS or EACCES.
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    await mkdir(dir);
  }
}

/** `ws(s)://<host>/<prefix>/tracker` for an http(s) base. */
export function trackerUrl(publicBase: string, prefix: string): string {
  return `${publicBase.replace(/^http/, 'ws').replace(/\/$/, '')}${prefix}/tracker`;
}

/** A file name safe anywhere: the last path segment, decoded, restricted to a plain alphabet. */
export function safeName(name: string): string {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // keep the raw segment
  }
  const cleaned = decoded.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(-100);
  return cleaned === '' ? 'media' : cleaned;
}
