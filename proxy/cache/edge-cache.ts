import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import { Pool, type Client, type Dispatcher } from 'undici';
import type CachePolicy from 'http-cache-semantics';
import type { Logger } from '../../core/logger.js';
import type { EdgeCacheFigures } from '../../protocol/stats.js';
import { clientResponseHeaders, type ForwardedInfo } from '../http/headers.js';
import type { BodySink, BodyStore, StoredBody } from './body-store.js';
import { cacheControl, decideStorage, policyRequest, type NotStoredReason } from './cache-policy.js';
import { X_CACHE_HEADER, sendCached, type CacheStatus } from './cached-response.js';
import type { CacheScope } from './cache-scope.js';
import { UnstorableUrls } from './unstorable-urls.js';
import { fillHeaders, policyReqWithoutConditionals, storedHeaders } from './fill-headers.js';
import { drained, relay } from './visitor-stream.js';

/** URLs whose responses are remembered; their bodies are bounded by bytes in the store. */
const MAX_CACHED_URLS = 50_000;
/** Accept-Encoding variants kept per URL; the oldest goes first. */
const MAX_VARIANTS_PER_URL = 4;
/** Connections the cache opens to the origin for fills and revalidations. */
const ORIGIN_CONNECTIONS = 64;
/** Background fills (started by Range requests) and stale-while-revalidate revalidations running at once; more wait for a later request. */
const MAX_BACKGROUND_FILLS = 8;
/** Visitor stall limit when the connection settings carry no body timeout. */
const DEFAULT_VISITOR_STALL_MS = 300_000;
/** `miss` includes requests the cache handed to the forwarder (a Range or HEAD of something not stored, a URL known unstorable). */
export type EdgeCacheResult = 'hit' | 'miss' | 'revalidated' | 'stale';

/** What the cache reports, for /metrics and /stats. */
export interface EdgeCacheEvents {
  /** A request the cache answered or sent on to the origin itself. */
  onResult?(result: EdgeCacheResult): void;
  /** A response that went to the visitor without being stored, and why. */
  onNotStored?(reason: NotStoredReason): void;
  /** Body bytes answered from stored bytes: what the origin did not have to send. */
  onBytesFromCache?(bytes: number): void;
}

export interface EdgeCacheOptions {
  origin: URL;
  scope: CacheScope;
  store: BodyStore;
  logger: Logger;
  /** The forwarder's connection settings towards the origin (deadlines, keep-alive, ORIGIN_CA_FILE): fills behave like forwarded requests. */
  connection: Client.Options;
  /** Largest single body stored. @default a quarter of the store */
  maxObjectBytes?: number;
  events?: EdgeCacheEvents;
}

interface Variant {
  /** Key of the body in the store; unique per stored body so a replacement never races a reader. */
  readonly bodyKey: string;
  policy: CachePolicy;
  /** Headers for the visitor (Location rewritten, hop-by-hop gone), without Age and X-Cache. */
  headers: OutgoingHttpHeaders;
  /** The request's Accept-Encoding when the response varies on it. */
  readonly varies: boolean;
  readonly acceptEncoding: string | undefined;
}

interface UrlEntry {
  variants: Variant[];
}

/** What a coalesced request gets when the leading one is done. */
interface FlightResult {
  variant: Variant;
  status: CacheStatus;
}

/** One origin request in progress for a URL and variant. */
interface Flight {
  readonly urlKey: string;
  readonly result: Promise<FlightResult | undefined>;
  /** Set by a purge of its URL while it runs: what it brings back is not stored (the purge wins). */
  purged: boolean;
}

/** What one origin request is for. */
interface LeadTarget {
  urlKey: string;
  path: string;
  policyReq: CachePolicy.Request;
  /** The stored variant being revalidated, if any. */
  stale: Variant | undefined;
}

/**
 * A shared HTTP cache (RFC 9111) in front of the origin for media (and with
 * EDGE_CACHE=static, CSS/JS/fonts): fresh hits come from the byte store with
 * Age and the origin's validators, Range and conditionals answered locally;
 * stale entries and `no-cache` requests are revalidated with a conditional
 * request; concurrent misses for one URL share a single origin request.
 */
export class EdgeCache {
  private readonly origin: URL;
  private readonly scope: CacheScope;
  private readonly store: BodyStore;
  private readonly logger: Logger;
  private readonly events: EdgeCacheEvents;
  private readonly maxObjectBytes: number;
  private readonly pool: Pool;
  /** Longest a fill waits for its visitor to take more bytes (the origin body idle timeout): others may be waiting on the fill. */
  private readonly visitorStallMs: number;
  private readonly entries: LRUCache<string, UrlEntry>;
  private readonly flights = new Map<string, Flight>();
  /** URLs whose last response could not be stored: their misses go straight to the forwarder for a while. */
  private readonly unstorable = new UnstorableUrls();
  private bodyCounter = 0;
  private readonly counts = { hits: 0, misses: 0, revalidated: 0, stale: 0, bytesFromCache: 0 };
  private coalesced = 0;
  private backgroundFills = 0;
  private closed = false;

  constructor(options: EdgeCacheOptions) {
    this.origin = options.origin;
    this.scope = options.scope;
    this.store = options.store;
    this.logger = options.logger;
    this.events = options.events ?? {};
    this.maxObjectBytes = options.maxObjectBytes ?? Math.floor(options.store.maxBytes / 4);
    this.entries = new LRUCache<string, UrlEntry>({
      max: MAX_CACHED_URLS,
      dispose: (entry) => { for (const variant of entry.variants) this.store.delete(variant.bodyKey); },
    });
    this.pool = new Pool(options.origin.origin, { ...options.connection, connections: ORIGIN_CONNECTIONS });
    this.visitorStallMs = options.connection.bodyTimeout ?? DEFAULT_VISITOR_STALL_MS;
  }

  /** Requests waiting on another request's origin fetch right now. */
  get waiting(): number {
    return this.coalesced;
  }

  /** Totals since start, for /stats and the dashboard; stale-while-revalidate answers count as hits (stored bytes served). */
  figures(): EdgeCacheFigures {
    const { hits, misses, revalidated, stale, bytesFromCache } = this.counts;
    return { hits: hits + stale, misses, revalidated, bytesFromCache, entries: this.entries.size };
  }

  /** URLs currently known unstorable. */
  get unstorableUrls(): number {
    return this.unstorable.size;
  }

  /** URLs with at least one stored variant. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Answers the request when it is the cache's business (GET/HEAD of a covered
   * path); false hands it to the forwarder untouched (nothing written yet but
   * `X-Cache: MISS`, counted as a miss).
   */
  async handle(req: IncomingMessage, res: ServerResponse, info: ForwardedInfo, publicBase: string, url: URL): Promise<boolean> {
    if (this.closed || (req.method !== 'GET' && req.method !== 'HEAD') || !this.scope.coversPath(url.pathname)) return false;
    if (await this.take(req, res, info, publicBase)) return true;
    this.result('miss');
    if (!res.headersSent) res.setHeader(X_CACHE_HEADER, 'MISS');
    return false;
  }

  private async take(req: IncomingMessage, res: ServerResponse, info: ForwardedInfo, publicBase: string): Promise<boolean> {
    const path = req.url ?? '/';
    const urlKey = `${req.headers.host ?? ''} ${path}`;
    const policyReq = policyRequest(path, req.headers);
    const flightKey = `${urlKey}\n${req.headers['accept-encoding'] ?? ''}`;
    const pending = this.flights.get(flightKey);
    const variant = this.lookup(urlKey, req.headers['accept-encoding']);
    const body = variant ? this.store.get(variant.bodyKey) : undefined;
    if (variant && !body) this.dropVariant(urlKey, variant);
    const stored = variant && body ? variant : undefined;

    if (stored && body) {
      const { revalidation } = stored.policy.evaluateRequest(policyReq);
      if (!revalidation) {
        await this.answer(req, res, stored, body, 'HIT');
        return true;
      }
      // stale-while-revalidate (RFC 5861): the stored answer at once, and one conditional request in the background.
      if (!revalidation.synchronous && mayServeStale(stored)) {
        if (!pending) this.background(flightKey, req, info, publicBase, { urlKey, path, policyReq, stale: stored });
        await this.answer(req, res, stored, body, 'STALE');
        return true;
      }
    }

    const partial = req.method === 'HEAD' || req.headers.range !== undefined;
    // A range of something not stored yet does not wait for a whole body to arrive (a video seek would): the origin answers it.
    if (pending && !(partial && !stored)) {
      this.coalesced++;
      try {
        return await this.answerFromFlight(req, res, await pending.result);
      } finally {
        this.coalesced--;
      }
    }
    if (!stored) {
      // Its last response could not be stored: asking the origin for a whole body again would be wasted. A full GET of a
      // URL whose type is out of scope (a `.png` answering HTML) still takes the cache's relay, which never rewrites it.
      const known = this.unstorable.reason(urlKey);
      if (known !== undefined && (known !== 'type' || partial)) return false;
      // Nothing stored for a partial or header-only request: the origin answers it directly, as without a cache.
      if (partial) {
        // Browsers ask for video and audio only in ranges: one full request in the background fills the cache for the next ones.
        if (req.method === 'GET' && !pending) this.background(flightKey, req, info, publicBase, { urlKey, path, policyReq, stale: undefined });
        return false;
      }
    }
    // Stored but no longer fresh: revalidated against the origin before answering.
    return this.flight(flightKey, urlKey, (flight, settle) => this.lead(req, res, info, publicBase, { urlKey, path, policyReq, stale: stored }, flight, settle));
  }

  /** An origin request nobody waits for: a fill for later Range requests, or a stale-while-revalidate revalidation. Bounded; skipped when busy. */
  private background(flightKey: string, req: IncomingMessage, info: ForwardedInfo, publicBase: string, target: LeadTarget): void {
    if (this.backgroundFills >= MAX_BACKGROUND_FILLS) return;
    this.backgroundFills++;
    void this.flight(flightKey, target.urlKey, (flight, settle) => this.lead(req, undefined, info, publicBase, target, flight, settle))
      .catch((err: unknown) => this.logger.warn({ err: (err as Error).message, path: target.path }, 'edge cache: background fill failed'))
      .finally(() => { this.backgroundFills--; });
  }

  /** Runs `work` as the one origin request for `flightKey`; requests arriving meanwhile wait for what it settles. */
  private async flight(
    flightKey: string, urlKey: string, work: (flight: Flight, settle: (result: FlightResult | undefined) => void) => Promise<boolean>,
  ): Promise<boolean> {
    let settle!: (result: FlightResult | undefined) => void;
    const flight: Flight = { urlKey, purged: false, result: new Promise((resolve) => { settle = resolve; }) };
    this.flights.set(flightKey, flight);
    try {
      return await work(flight, settle);
    } finally {
      if (this.flights.get(flightKey) === flight) this.flights.delete(flightKey);
      settle(undefined);
    }
  }

  /**
   * Forgets stored responses whose path is `url` (exactly) or starts with
   * `prefix`; returns how many URLs went. Fills of those URLs still in flight
   * are not stored when they end, and URLs known unstorable are tried again.
   */
  purge(target: { url?: string; prefix?: string }): number {
    const url = target.url === undefined ? undefined : pathOf(target.url);
    const prefix = target.prefix === undefined ? undefined : pathOf(target.prefix);
    const matches = (urlKey: string): boolean => {
      const path = urlKey.slice(urlKey.indexOf(' ') + 1);
      return (url !== undefined && path === url) || (prefix !== undefined && path.startsWith(prefix));
    };
    for (const flight of this.flights.values()) if (matches(flight.urlKey)) flight.purged = true;
    this.unstorable.forget(matches);
    let purged = 0;
    for (const key of [...this.entries.keys()]) {
      if (matches(key)) {
        this.entries.delete(key);
        purged++;
      }
    }
    return purged;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.entries.clear();
    this.unstorable.clear();
    await this.pool.close().catch(() => this.pool.destroy());
  }

  private result(result: EdgeCacheResult): void {
    if (result === 'hit') this.counts.hits++;
    else if (result === 'miss') this.counts.misses++;
    else if (result === 'stale') this.counts.stale++;
    else this.counts.revalidated++;
    this.events.onResult?.(result);
  }

  private lookup(urlKey: string, acceptEncoding: string | undefined): Variant | undefined {
    const entry = this.entries.get(urlKey);
    return entry?.variants.find((v) => !v.varies || v.acceptEncoding === acceptEncoding);
  }

  private async answerFromFlight(req: IncomingMessage, res: ServerResponse, result: FlightResult | undefined): Promise<boolean> {
    const body = result ? this.store.get(result.variant.bodyKey) : undefined;
    // The leader's response was not stored (or is gone already): this request goes to the origin itself.
    if (!result || !body) return false;
    await this.answer(req, res, result.variant, body, result.status === 'MISS' ? 'HIT' : result.status);
    return true;
  }

  private async answer(req: IncomingMessage, res: ServerResponse, variant: Variant, body: StoredBody, status: CacheStatus): Promise<void> {
    this.result(status === 'HIT' ? 'hit' : status === 'REVALIDATED' ? 'revalidated' : status === 'STALE' ? 'stale' : 'miss');
    const headers = { ...variant.headers, age: String(Math.round(variant.policy.age())) };
    const sent = await sendCached(req, res, { body, headers }, this.store, status);
    if (status !== 'MISS') {
      this.counts.bytesFromCache += sent;
      this.events.onBytesFromCache?.(sent);
    }
  }

  /**
   * The one request that goes to the origin for a URL and variant; coalesced
   * ones wait on `settle`. Without `res` it only fills the cache (started by a
   * Range request the forwarder answers).
   */
  private async lead(
    req: IncomingMessage, res: ServerResponse | undefined, info: ForwardedInfo, publicBase: string,
    target: LeadTarget, flight: Flight, settle: (result: FlightResult | undefined) => void,
  ): Promise<boolean> {
    const { urlKey, path, policyReq, stale } = target;
    const headers = fillHeaders(req, info, stale?.policy.revalidationHeaders(policyReqWithoutConditionals(policyReq)));
    let response: Dispatcher.ResponseData;
    try {
      response = await this.pool.request({ path, method: 'GET', headers });
    } catch (err) {
      // The forwarder asks once more and answers with the right error page and metric.
      this.logger.debug({ err: (err as Error).message, path }, 'edge cache: origin request failed');
      return false;
    }
    const { statusCode, headers: originHeaders, body } = response;

    if (stale && statusCode === 304) {
      body.resume();
      const { policy, modified } = stale.policy.revalidatedPolicy(policyReq, { status: 304, headers: originHeaders as CachePolicy.Response['headers'] });
      const storedBody = this.store.get(stale.bodyKey);
      // A purge meanwhile already dropped the entry; it is not brought back.
      if (modified || !storedBody || flight.purged) {
        this.dropVariant(urlKey, stale);
        return false;
      }
      stale.policy = policy;
      stale.headers = storedHeaders(policy.responseHeaders(), this.origin, publicBase);
      settle({ variant: stale, status: 'REVALIDATED' });
      if (!res) return true;
      await this.answer(req, res, stale, storedBody, 'REVALIDATED');
      return true;
    }
    // Nobody waits on a background request: a server error there teaches nothing, and the stored entry stays as it was.
    if (!res && statusCode >= 500) {
      body.destroy();
      return false;
    }
    // Whatever came back replaces what was stored: a new body, or a status that says it is gone.
    if (stale) this.dropVariant(urlKey, stale);

    const decision = this.decide(policyReq, statusCode, originHeaders);
    if (!decision.store) {
      this.notStored(urlKey, decision.reason, statusCode, policyReq, flight);
      if (!res) {
        body.destroy();
        return false;
      }
      this.result('miss');
      await relay(req, res, statusCode, { ...clientResponseHeaders(originHeaders, this.origin, publicBase), [X_CACHE_HEADER]: 'MISS' }, body);
      return true;
    }
    const variant: Variant = {
      bodyKey: `edge:${++this.bodyCounter}`,
      policy: decision.policy,
      headers: storedHeaders(originHeaders, this.origin, publicBase),
      varies: originHeaders.vary !== undefined,
      acceptEncoding: req.headers['accept-encoding'],
    };
    // A plain GET streams to its visitor while it fills; Range, HEAD and revalidating requests are answered from the stored copy.
    const streamToVisitor = res !== undefined && req.method === 'GET' && req.headers.range === undefined && !stale;
    if (streamToVisitor) {
      this.result('miss');
      res.writeHead(200, { ...variant.headers, [X_CACHE_HEADER]: 'MISS' });
    }
    const filled = await this.fill(body, streamToVisitor ? res : undefined, () => flight.purged);
    if (typeof filled === 'string') {
      if (filled !== 'purged') this.notStored(urlKey, filled, statusCode, policyReq, flight);
    } else if (flight.purged) {
      // Purged while the body arrived: it goes the way the purged entries went (storing then deleting removes a spill file too).
      if (this.store.set(variant.bodyKey, filled)) this.store.delete(variant.bodyKey);
    } else if (this.store.set(variant.bodyKey, filled)) {
      this.unstorable.delete(urlKey);
      this.remember(urlKey, variant);
      settle({ variant, status: 'MISS' });
    }
    if (streamToVisitor || !res) return true;
    const body2 = this.store.get(variant.bodyKey);
    if (!body2) return false;
    await this.answer(req, res, variant, body2, 'MISS');
    return true;
  }

  /** Counts a response not stored and, when the reason is about the URL, remembers it for a while (unless a purge came meanwhile). */
  private notStored(urlKey: string, reason: NotStoredReason, status: number, policyReq: CachePolicy.Request, flight: Flight): void {
    this.events.onNotStored?.(reason);
    if (flight.purged) return;
    this.unstorable.note(urlKey, reason, { status, requestNoStore: cacheControl(policyReq.headers['cache-control']).has('no-store') });
  }

  private decide(policyReq: CachePolicy.Request, statusCode: number, headers: IncomingHttpHeaders): ReturnType<typeof decideStorage> {
    if (statusCode === 200 && !this.scope.coversType(headers['content-type'])) return { store: false, reason: 'type' };
    const length = Number(headers['content-length']);
    if (Number.isFinite(length) && length > this.maxObjectBytes) return { store: false, reason: 'too-large' };
    return decideStorage(policyReq, statusCode, headers);
  }

  /**
   * Reads the origin body into the store (and to the visitor when `res` is
   * given, at the visitor's pace). Keeps reading for the store when the
   * visitor leaves, so coalesced requests still get it. A store that fails
   * (disk full) only stops the storing; the visitor still gets every byte.
   * `purged` is asked per chunk: once true, nothing more is stored.
   */
  private async fill(
    body: Dispatcher.ResponseData['body'], res: ServerResponse | undefined, purged: () => boolean,
  ): Promise<StoredBody | 'too-large' | 'store-error' | 'origin-error' | 'purged'> {
    let sink: BodySink | undefined;
    let dropped: 'too-large' | 'store-error' | 'purged' | undefined;
    const drop = (reason: 'too-large' | 'store-error' | 'purged'): void => {
      sink?.abort();
      sink = undefined;
      dropped = reason;
    };
    try {
      sink = await this.store.writer();
    } catch {
      dropped = 'store-error';
    }
    let bytes = 0;
    try {
      for await (const chunk of body) {
        const buffer = chunk as Buffer;
        bytes += buffer.length;
        // A purge of the URL while its body arrives: the visitor still gets every byte, the store none.
        if (sink && purged()) drop('purged');
        if (sink && bytes > this.maxObjectBytes) drop('too-large');
        if (sink) await sink.write(buffer).catch(() => drop('store-error'));
        if (res && !res.destroyed) {
          // A visitor that stops reading is cut off, and the fill goes on for the store and the requests waiting on it.
          if (!res.write(buffer) && !(await drained(res, this.visitorStallMs))) res.destroy();
        } else if (!sink) {
          body.destroy();
          break;
        }
      }
      if (res && !res.destroyed) res.end();
      if (!sink) return dropped ?? 'store-error';
      return await sink.end().catch(() => 'store-error' as const);
    } catch (err) {
      sink?.abort();
      this.logger.warn({ err: (err as Error).message }, 'edge cache: origin body failed mid-stream');
      if (res && !res.writableEnded) res.destroy();
      return 'origin-error';
    }
  }

  private remember(urlKey: string, variant: Variant): void {
    const entry = this.entries.get(urlKey);
    if (!entry) {
      this.entries.set(urlKey, { variants: [variant] });
      return;
    }
    const same = entry.variants.findIndex((v) => v.varies === variant.varies && v.acceptEncoding === variant.acceptEncoding);
    if (same >= 0) this.store.delete(entry.variants.splice(same, 1)[0]!.bodyKey);
    entry.variants.unshift(variant);
    while (entry.variants.length > MAX_VARIANTS_PER_URL) this.store.delete(entry.variants.pop()!.bodyKey);
  }

  private dropVariant(urlKey: string, variant: Variant): void {
    const entry = this.entries.peek(urlKey);
    this.store.delete(variant.bodyKey);
    if (!entry) return;
    entry.variants = entry.variants.filter((v) => v !== variant);
    if (entry.variants.length === 0) this.entries.delete(urlKey);
  }
}

/**
 * http-cache-semantics allows stale-while-revalidate on a response that also
 * says `no-cache` or `proxy-revalidate`; both require a shared cache to
 * validate before every use (RFC 9111 §5.2.2.4, §5.2.2.8), so those wait.
 */
function mayServeStale(variant: Variant): boolean {
  const value = variant.headers['cache-control'];
  const directives = cacheControl(typeof value === 'number' ? String(value) : value);
  return !directives.has('no-cache') && !directives.has('proxy-revalidate') && !directives.has('must-revalidate');
}

/** A purge target as a path with query: absolute URLs are reduced to theirs. */
function pathOf(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return url.pathname + url.search;
  } catch {
    return `/${target}`;
  }
}
