import type { Dispatcher } from 'undici';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { discardBody, type ByteCache, type CachedBody } from '../cache/byte-cache.js';
import { TorrentRouteError, type TorrentStore } from '../torrent/torrent-store.js';
import { assetIdFor } from '../../core/asset-id.js';
import type { MediaKind } from '../../protocol/media.js';
import { FetchGate, FetchGateFullError } from './fetch-gate.js';
import { fetchFromOrigin, OriginFetchError, type FetchFailure, type FetchOutcome, type Validators } from './origin-fetch.js';
import type { UrlScope } from './url-scope.js';
import type { SharedManifests } from '../../core/shared-manifests.js';

/** An indexed record is trusted this long before the origin is asked again (conditional request). */
export const INDEX_FRESH_MS = 60_000;
/** Records and id aliases kept (metadata only; bytes live in the ByteCache). */
export const MAX_RECORDS = 10_000;
/**
 * Origin fetches running at once, and waiting for a slot, across every caller
 * (manifests, webseed refills, the seeder): a flood of distinct URLs cannot open
 * more origin connections than this, nor queue more promises than this.
 */
export const MAX_ORIGIN_FETCHES = 16;
export const MAX_QUEUED_FETCHES = 256;

/** What the origin's content type says an indexed body is; `other` is never offered peer-to-peer. */
export type IndexedKind = MediaKind | 'other';

export interface AssetRecord {
  /** assetIdFor(upstream URL): the id used in webseed URLs. */
  readonly id: string;
  readonly upstream: string;
  readonly contentType: string;
  readonly kind: IndexedKind;
  readonly size?: number;
  /** Lower-case hex SHA-256 of the whole body (absent when too large to index). */
  readonly sha256?: string;
  /** Images: the intrinsic width and height their bytes declare, when readable. */
  readonly width?: number;
  readonly height?: number;
  readonly validators: Validators;
  readonly infoHash?: string;
  /** False when the asset is not offered peer-to-peer. */
  readonly p2p: boolean;
  /** Set when the body exceeded the allowed size. */
  readonly tooLarge?: boolean;
  checkedAt: number;
}

export class IndexError extends Error {
  constructor(readonly reason: FetchFailure, message: string) {
    super(message);
    this.name = 'IndexError';
  }
}

export interface MediaIndexOptions {
  scope: UrlScope;
  cache: ByteCache;
  torrents?: TorrentStore;
  /** Images larger than this are indexed as `p2p: false`. */
  imageMaxBytes: number;
  mediaTypes: readonly MediaKind[];
  freshMs?: number;
  dispatcher?: Dispatcher;
  logger?: Logger;
  /** Called once per new video/audio torrent (the seeder starts seeding it). */
  onTorrent?: (record: AssetRecord, body: CachedBody) => void;
  /** @default MAX_RECORDS (aliases: twice as many) */
  maxRecords?: number;
  /** @default { maxConcurrent: MAX_ORIGIN_FETCHES, maxQueued: MAX_QUEUED_FETCHES } */
  fetchLimits?: { maxConcurrent: number; maxQueued: number };
  /** Image manifests shared with other proxy instances (REDIS_URL); none: this index works alone. */
  shared?: SharedManifests;
}

export function kindOf(contentType: string): IndexedKind {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('video/')) return 'video';
  if (contentType.startsWith('audio/')) return 'audio';
  return 'other';
}

/**
 * URL → {sha256, size, type, infohash}. Each URL is fetched from the origin once
 * (concurrent lookups share one fetch), bytes go to the ByteCache, and stale
 * records are revalidated with the origin's validators.
 */
export class MediaIndex {
  readonly scope: UrlScope;
  readonly cache: ByteCache;
  private readonly records: LRUCache<string, AssetRecord>;
  private readonly aliases: LRUCache<string, string>;
  /** Bounded by the fetch gate: at most MAX_ORIGIN_FETCHES + MAX_QUEUED_FETCHES keys. */
  private readonly inflight = new Map<string, Promise<AssetRecord>>();
  readonly fetchGate: FetchGate;
  private readonly freshMs: number;
  private closed = false;

  constructor(private readonly options: MediaIndexOptions) {
    this.scope = options.scope;
    this.cache = options.cache;
    this.freshMs = options.freshMs ?? INDEX_FRESH_MS;
    const maxRecords = options.maxRecords ?? MAX_RECORDS;
    this.records = new LRUCache({ max: maxRecords });
    this.aliases = new LRUCache({ max: maxRecords * 2 });
    this.fetchGate = new FetchGate(options.fetchLimits ?? { maxConcurrent: MAX_ORIGIN_FETCHES, maxQueued: MAX_QUEUED_FETCHES });
  }

  /** True when a lookup of this URL would be answered without asking the origin. */
  isFresh(upstream: URL): boolean {
    const existing = this.records.peek(upstream.href);
    return existing !== undefined && Date.now() - existing.checkedAt < this.freshMs;
  }

  /** Records and aliases held (metadata only), for bounds checks and stats. */
  get sizes(): { records: number; aliases: number; inflight: number } {
    return { records: this.records.size, aliases: this.aliases.size, inflight: this.inflight.size };
  }

  /** Looks up (fetching or revalidating when needed) the asset at an origin URL. */
  lookup(upstream: URL): Promise<AssetRecord> {
    const key = upstream.href;
    const existing = this.records.get(key);
    if (existing && Date.now() - existing.checkedAt < this.freshMs) return Promise.resolve(existing);
    return this.singleFlight(key, async () => (existing ? undefined : await this.adoptShared(upstream)) ?? this.refresh(upstream, existing));
  }

  /** Makes `id` (e.g. the id of the public form of the URL) resolve to this record too. */
  alias(id: string, upstream: string): void {
    this.aliases.set(id, upstream);
  }

  recordById(id: string): AssetRecord | undefined {
    const upstream = this.aliases.get(id);
    return upstream === undefined ? undefined : this.records.get(upstream);
  }

  /**
   * The record and its bytes. Bytes evicted from the cache are fetched again; if
   * the origin now serves other bytes, the record follows the origin.
   */
  async body(record: AssetRecord): Promise<{ record: AssetRecord; body: CachedBody } | undefined> {
    if (!record.p2p) return undefined;
    const body = this.cache.get(record.upstream);
    if (body) return { record, body };
    const fresh = await this.singleFlight(record.upstream, () => this.refresh(new URL(record.upstream), undefined));
    const refilled = this.cache.peek(fresh.upstream);
    return refilled && fresh.p2p ? { record: fresh, body: refilled } : undefined;
  }

  close(): void {
    this.closed = true;
  }

  private singleFlight(key: string, run: () => Promise<AssetRecord>): Promise<AssetRecord> {
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const promise = run().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  /**
   * A fresh image record another instance stored, taken as this index's own
   * (no origin fetch, no hashing); its bytes are fetched only if this instance
   * has to serve them (body()), and then the record follows the origin.
   */
  private async adoptShared(upstream: URL): Promise<AssetRecord | undefined> {
    const shared = await this.options.shared?.get(upstream.href).catch(() => undefined);
    if (!shared || this.closed || shared.upstream !== upstream.href || shared.kind !== 'image' || shared.sha256 === undefined) return undefined;
    if (!(Date.now() - shared.checkedAt < this.freshMs)) return undefined;
    const record: AssetRecord = { ...shared };
    this.records.set(record.upstream, record);
    this.aliases.set(record.id, record.upstream);
    return record;
  }

  private async refresh(upstream: URL, previous: AssetRecord | undefined): Promise<AssetRecord> {
    if (this.closed) throw new IndexError('origin-error', 'index closed');
    // Revalidate only when the bytes are still here to reuse on 304.
    const canRevalidate = previous !== undefined && (!previous.p2p || this.cache.peek(previous.upstream) !== undefined);
    let outcome: FetchOutcome;
    try {
      outcome = await this.fetchGate.run(() => fetchFromOrigin(upstream, {
        scope: this.scope,
        dispatcher: this.options.dispatcher,
        validators: canRevalidate ? previous.validators : undefined,
        limitFor: (contentType) => this.limitFor(kindOf(contentType)),
        newWriter: () => this.cache.writer(),
      }));
    } catch (err) {
      if (err instanceof FetchGateFullError) throw new IndexError('origin-error', err.message);
      if (err instanceof OriginFetchError) {
        if (err.reason === 'not-found') this.forget(upstream.href);
        throw new IndexError(err.reason, err.message);
      }
      throw err;
    }
    if (outcome.status === 'not-modified' && previous) {
      previous.checkedAt = Date.now();
      this.records.set(previous.upstream, previous);
      return previous;
    }
    if (outcome.status === 'not-modified') throw new IndexError('origin-error', 'unexpected 304');
    return this.store(upstream, outcome, previous);
  }

  private async store(upstream: URL, outcome: Exclude<FetchOutcome, { status: 'not-modified' }>, previous: AssetRecord | undefined): Promise<AssetRecord> {
    const kind = kindOf(outcome.contentType);
    const base = { id: assetIdFor(upstream), upstream: upstream.href, contentType: outcome.contentType, kind, checkedAt: Date.now() };
    let record: AssetRecord;
    if (outcome.status === 'too-large') {
      this.cache.delete(upstream.href);
      record = { ...base, size: outcome.size, validators: {}, p2p: false, tooLarge: true };
    } else {
      const offered = kind !== 'other' && this.options.mediaTypes.includes(kind);
      let infoHash = previous?.sha256 === outcome.sha256 ? previous.infoHash : undefined;
      if (offered) this.cache.set(upstream.href, outcome.body);
      else discardBody(outcome.body);
      record = { ...base, size: outcome.size, sha256: outcome.sha256, ...outcome.dimensions, validators: outcome.validators, p2p: offered };
      if (offered && (kind === 'video' || kind === 'audio') && this.options.torrents && infoHash === undefined) {
        try {
          const input = outcome.body.kind === 'file' ? outcome.body.path : outcome.body.data;
          const name = upstream.pathname.split('/').pop() ?? 'media';
          const parsed = await this.options.torrents.create({ id: base.id, name, input }, outcome.size);
          infoHash = parsed.infoHash;
        } catch (err) {
          // An unwritable torrentRoute is our own fault (error, with its code); a file create-torrent chokes on is the origin's (warning).
          if (err instanceof TorrentRouteError) this.options.logger?.error({ code: err.code, url: upstream.href }, err.message);
          else this.options.logger?.warn({ err, url: upstream.href }, 'torrent creation failed');
        }
        if (infoHash !== undefined) record = { ...record, infoHash };
        if (infoHash !== undefined) this.options.onTorrent?.(record, outcome.body);
      } else if (infoHash !== undefined) {
        record = { ...record, infoHash };
      }
    }
    this.records.set(record.upstream, record);
    this.aliases.set(record.id, record.upstream);
    if (record.kind === 'image' && record.sha256 !== undefined) this.options.shared?.put(record);
    return record;
  }

  private limitFor(kind: IndexedKind): number {
    if (kind === 'image') return Math.min(this.options.imageMaxBytes, this.cache.maxBytes);
    return this.cache.maxBytes;
  }

  private forget(upstream: string): void {
    this.records.delete(upstream);
    this.cache.delete(upstream);
  }
}
