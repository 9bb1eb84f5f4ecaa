import type { ManifestEntry } from '../../protocol/manifest.js';
import type { FallbackReason } from '../../protocol/report.js';
import type { CandidateType, PeerId } from '../../protocol/signal-messages.js';
import { LinkError, type PendingRequest } from '../peer/peer-link.js';
import { applyImageUrl, assetTagOf, chooseImage, imagePainted, isParked, releaseToHttp, type ImageChoice } from '../dom/media-elements.js';
import { sha256Hex } from '../utils/sha256.js';
import { mark } from '../utils/marks.js';
import type { Services } from '../services.js';
import { fetchImage, type HttpBytes, type HttpHolder } from './http-holder.js';
import { hedgeDelayMs, httpTimings } from './hedge.js';
import { releaseBox } from './layout-box.js';

/** A fallback image is reported without a time once it takes longer than this. */
export const FALLBACK_LOAD_WAIT_MS = 30_000;
/**
 * How near the viewport a parked image must come before it is fetched from
 * peers: Chromium's own lazy-loading distance on fast connections (1250 px), so
 * peers carry what the browser would have fetched over HTTP, and no upload is
 * spent on images the visitor never scrolls near.
 */
export const LAZY_ROOT_MARGIN = '1250px 0px';
/** Pause before asking signaling again when no holder was free. */
export const WANT_RETRY_MS = 150;
/**
 * Most `want` rounds for one image. A round that names no holder is no progress,
 * so the stall deadline ends a string of empty rounds first; this bounds the
 * messages one image can cost.
 */
const MAX_WANT_ROUNDS = 40;
/**
 * An image may wait on peers this many times `peerTimeoutMs` in all, however
 * steadily its link delivers, before HTTP takes over.
 */
export const PEER_TOTAL_WAIT_FACTOR = 5;
/** Blob URL → original URL pairs kept on the debugging surface. */
const MAX_DEBUG_BLOBS = 500;

interface PeerResult {
  entry: ManifestEntry & { id: string; sha256: string; size: number };
  bytes: Uint8Array;
  peer: PeerId;
  blobUrl: string;
}

/**
 * How one image URL was obtained, shared by every element showing it: from a
 * peer (`hedged`: HTTP had started too), by a hedge's HTTP leg (`fallback`: the
 * peer leg had failed first), or not at all (each element falls back).
 */
type Outcome =
  | { kind: 'peer'; result: PeerResult; hedged: boolean; hedgeBytes?: number }
  | { kind: 'http'; http: HttpBytes; fallback?: FallbackReason }
  | { kind: 'failed'; reason: FallbackReason; entry?: ManifestEntry; candidates?: CandidateType[] };

/**
 * One image's budget. It expires when nothing moved for `stallMs` (no holder
 * answer, no link opening, no bytes on the link its request waits on), or after
 * `totalMs` in all; expiry cancels outstanding requests. Counting stalls rather
 * than total time keeps images queued behind others on a slow uplink (their link
 * is busy delivering) from falling back while the transfer is on its way.
 */
class Attempt {
  expired = false;
  private readonly requests = new Set<PendingRequest>();
  readonly timedOut: Promise<never>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly startedAt = performance.now();
  private lastProgress = this.startedAt;
  private reject!: (err: LinkError) => void;

  constructor(private readonly stallMs: number, private readonly totalMs: number) {
    this.timedOut = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.timedOut.catch(() => undefined);
    this.arm();
  }

  /** When signaling last said this image's holders were all uploading. */
  private lastQueued = Number.NEGATIVE_INFINITY;

  /** Something moved for this image (holders named, a link to ask). */
  progress(): void {
    this.lastProgress = performance.now();
  }

  /** Holders exist but are all uploading: this image waits for a slot (progress, and not late). */
  queued(): void {
    this.lastQueued = this.lastProgress = performance.now();
  }

  /** True when this image heard within the last `ms` that its holders were all uploading. */
  waitingForSlot(ms: number): boolean {
    return performance.now() - this.lastQueued < ms;
  }

  track(request: PendingRequest): void {
    this.requests.add(request);
  }

  /** True when a request of this image got its first byte. */
  firstByte(): boolean {
    return [...this.requests].some((r) => r.firstByte());
  }

  /** True when a link this image waits on received bytes within the last `ms` (it is busy, not stuck). */
  delivering(ms: number): boolean {
    const now = performance.now();
    return [...this.requests].some((r) => now - r.progressAt() < ms);
  }

  untrack(request: PendingRequest): void {
    this.requests.delete(request);
  }

  end(): void {
    clearTimeout(this.timer);
  }

  /** Ends the attempt now with `err` (timeout, or a connection that could not form). */
  fail(err: LinkError): void {
    if (this.expired) return;
    this.expired = true;
    clearTimeout(this.timer);
    for (const request of this.requests) request.cancel(err.reason);
    this.reject(err);
  }

  private expire(): void {
    this.fail(new LinkError('timeout'));
  }

  private arm(): void {
    let last = this.lastProgress;
    for (const request of this.requests) last = Math.max(last, request.progressAt());
    const due = Math.min(last + this.stallMs, this.startedAt + this.totalMs);
    const wait = due - performance.now();
    if (wait <= 0) return this.expire();
    this.timer = setTimeout(() => this.arm(), wait);
  }
}

/**
 * Loads peer-mode images (`data-p2p="<id>.image.peer"`) from peers: manifest → want → holders →
 * data channel → SHA-256 check → blob URL. Any failure within the per-image
 * deadline puts the original URL back at once.
 */
export class PeerImageLoader {
  private readonly byUrl = new Map<string, Promise<Outcome>>();
  private observer: IntersectionObserver | undefined;
  private readonly started = new WeakSet<HTMLImageElement>();

  constructor(private readonly s: Services, private readonly httpHolder: HttpHolder) {}

  /**
   * Starts each image when it comes near the viewport: `loading="lazy"` ones
   * and eager ones below the fold alike (the observer reports those in view at
   * once). Every browser with data channels has IntersectionObserver.
   */
  add(img: HTMLImageElement): void {
    this.observer ??= new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        this.observer?.unobserve(entry.target);
        this.start(entry.target as HTMLImageElement);
      }
    }, { rootMargin: LAZY_ROOT_MARGIN });
    this.observer.observe(img);
  }

  close(): void {
    this.observer?.disconnect();
  }

  private start(img: HTMLImageElement): void {
    if (this.started.has(img)) return;
    this.started.add(img);
    void this.load(img).catch(() => this.fallback(img, undefined, 'client-error'));
  }

  private async load(img: HTMLImageElement): Promise<void> {
    const choice = chooseImage(img, this.s.win);
    if (!choice) return this.fallback(img, undefined, 'client-error');
    // Elements showing the same URL share the first one's transfer, hedge included: a second
    // element has no requests of its own to watch, so it would otherwise always hedge.
    let outcome = this.byUrl.get(choice.url);
    const first = outcome === undefined;
    if (!outcome) {
      const url = choice.url;
      const obtained = this.obtain(url, assetTagOf(img)?.id);
      outcome = obtained;
      this.byUrl.set(url, obtained);
      // Only verified peer bytes are kept for later elements; after anything else they try afresh.
      obtained.then((o) => o.kind !== 'peer' && this.byUrl.delete(url), () => this.byUrl.delete(url));
    }
    const o = await outcome;
    if (o.kind === 'failed') return this.fallback(img, o.entry, o.reason, o.candidates);
    if (o.kind === 'http') return this.paintHttp(img, choice, o.http, first, o.fallback);
    await this.paint(img, choice, o.result, first, o.hedged ? { hedge: 'peer', ...(o.hedgeBytes !== undefined ? { hedgeBytes: o.hedgeBytes } : {}) } : undefined);
  }

  /**
   * One URL's transfer: from peers within the image's budget, hedged by HTTP
   * when its first peer byte is late (the first leg to complete wins).
   */
  private async obtain(url: string, tagId: string | undefined): Promise<Outcome> {
    const { peerTimeoutMs } = this.s.config;
    const attempt = new Attempt(peerTimeoutMs, peerTimeoutMs * PEER_TOTAL_WAIT_FACTOR);
    // A connection that could not form, with no other link left: this image would only
    // wait for more rounds naming the same unreachable holders, so HTTP now.
    const unsubscribe = this.s.pool.onUnreachable((failure) => {
      if (this.s.pool.size === 0) attempt.fail(failure);
    });
    // Hedge: no first peer byte within the delay → HTTP too; the first to complete is painted.
    // Resource Timing is read only when the operator set no delay of their own.
    // Capped by the image's whole peer budget, not by the stall deadline: an image waiting
    // for a busy holder's slot is progressing, and a far or busy origin deserves the wait.
    const hedgeMs = hedgeDelayMs(this.s.config.hedgeMs, this.s.config.hedgeMs === undefined ? httpTimings(performance, this.s.win.location.origin) : [], peerTimeoutMs * PEER_TOTAL_WAIT_FACTOR);
    const controller = new AbortController();
    let hedge: Promise<HttpBytes | undefined> | undefined;
    /** What the HTTP leg fetched, once it completed. */
    let hedgeBytes: number | undefined;
    let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
    const httpWon = new Promise<HttpBytes>((resolve) => {
      if (hedgeMs === undefined) return;
      const check = (): void => {
        if (attempt.expired || attempt.firstByte()) return;
        // Queued behind other images on a link that is delivering, or waiting for a slot on holders
        // that are all uploading: busy, not late; HTTP would only add load.
        if (attempt.delivering(hedgeMs) || attempt.waitingForSlot(hedgeMs)) {
          hedgeTimer = setTimeout(check, hedgeMs);
          return;
        }
        mark('hedge', tagId);
        hedge = fetchImage(url, controller.signal).then((http) => {
          if (http) hedgeBytes = http.bytes.byteLength;
          return http;
        });
        // A failed HTTP leg leaves the peer leg to finish (or to fall back as usual).
        void hedge.then((bytes) => bytes && resolve(bytes));
      };
      hedgeTimer = setTimeout(check, hedgeMs);
    });
    let result: PeerResult | HttpBytes;
    try {
      result = await Promise.race([this.fetchFromPeers(url, attempt), attempt.timedOut, httpWon]);
    } catch (err) {
      clearTimeout(hedgeTimer);
      const reason = err instanceof LinkError ? err.reason : 'client-error';
      // The HTTP leg is already under way: its bytes, not a second download.
      const http = hedge && (await hedge);
      if (http) return { kind: 'http', http, fallback: reason };
      const entry = await this.s.manifest.lookup(url).catch(() => undefined);
      return { kind: 'failed', reason, ...(entry ? { entry } : {}), ...(err instanceof LinkError && err.candidates ? { candidates: err.candidates } : {}) };
    } finally {
      unsubscribe();
      attempt.end();
    }
    clearTimeout(hedgeTimer);
    if (!('peer' in result)) {
      // HTTP completed first: the peer requests are cancelled (the holder stops sending).
      attempt.fail(new LinkError('timeout'));
      return { kind: 'http', http: result };
    }
    if (hedge) controller.abort();
    return { kind: 'peer', result, hedged: hedge !== undefined, ...(hedgeBytes !== undefined ? { hedgeBytes } : {}) };
  }

  /** Points the element at `blobUrl` and waits for it to paint; when it cannot, the element gets its original URL back. */
  private async showBlob(img: HTMLImageElement, choice: ImageChoice, blobUrl: string): Promise<boolean> {
    applyImageUrl(img, choice, blobUrl);
    const blobs = this.s.reporter.surface.blobs;
    if (Object.keys(blobs).length < MAX_DEBUG_BLOBS) blobs[blobUrl] = choice.url;
    const painted = await imagePainted(img);
    releaseBox(img);
    if (!painted) {
      img.removeAttribute('srcset');
      choice.source?.setAttribute('srcset', choice.url);
      img.src = choice.url;
    }
    return painted;
  }

  /**
   * Paints the HTTP leg's bytes; held and announced too when they match the
   * manifest. `first`: the element whose transfer it was (the others showing the
   * same URL are not counted again).
   */
  private async paintHttp(img: HTMLImageElement, choice: ImageChoice, http: HttpBytes, first: boolean, fallback?: FallbackReason): Promise<void> {
    const entry = await this.s.manifest.lookup(choice.url).catch(() => undefined);
    if (!isParked(img)) return;
    const blobUrl = URL.createObjectURL(new Blob([http.bytes as Uint8Array<ArrayBuffer>], { type: http.type || 'application/octet-stream' }));
    const painted = await this.showBlob(img, choice, blobUrl);
    if (!first) return;
    const id = entry?.id ?? assetTagOf(img)?.id ?? 'unknown';
    this.s.reporter.record({
      id, url: choice.url, source: 'server', bytes: http.bytes.byteLength, ms: performance.now(), hedge: 'http', hedgeBytes: http.bytes.byteLength,
      ...(fallback ? { fallback } : {}),
    });
    if (painted) await this.httpHolder.hold(choice.url, entry, http);
  }

  private async fetchFromPeers(url: string, attempt: Attempt): Promise<PeerResult> {
    const observedAt = performance.now();
    const raw = await this.s.manifest.lookup(url);
    if (raw.error || raw.p2p === false || !raw.id || !raw.sha256 || raw.size === undefined) throw new LinkError('manifest-error');
    const entry = raw as PeerResult['entry'];
    mark('observed', entry.id, observedAt);
    mark('manifest', entry.id);
    const held = this.s.store.get(entry.id);
    if (held) return { entry, bytes: held.bytes, peer: '', blobUrl: blobUrlOf(held.bytes, entry) };
    if (!this.s.signalingUp()) throw new LinkError('signaling-down');
    // Strict privacy without a TURN server: this visitor makes no peer connections.
    if (!this.s.p2pAllowed()) throw new LinkError('opted-out');
    let reason: FallbackReason = 'no-holder';
    // Holders cap their concurrent uploads, so a page asking for many images at
    // once may hear "nobody free" or "busy" for some: ask again while time remains.
    for (let round = 0; round < MAX_WANT_ROUNDS && !attempt.expired; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, WANT_RETRY_MS));
      if (!this.s.signalingUp()) throw new LinkError('signaling-down');
      const named = await this.s.holders.holders(entry.id);
      const reachable = named.filter((p) => !this.s.pool.isUnreachable(p));
      // Every holder signaling knows is one this page could not connect to: HTTP now, not after more rounds.
      if (named.length > 0 && reachable.length === 0 && this.s.pool.size === 0) throw this.s.pool.unreachableError(named[0] as PeerId);
      // Signaling names only holders with a free upload slot: a reachable one is progress,
      // and so is hearing that holders exist but are all uploading (a slot frees as they finish).
      if (reachable.length > 0) attempt.progress();
      else if (named.length === 0 && this.s.holders.holdersBusy(entry.id)) attempt.queued();
      const peers = this.candidates(reachable);
      for (const peer of peers) {
        if (attempt.expired) break;
        const link = this.s.pool.linkTo(peer);
        if (!link) continue;
        const request = link.request(entry.id, url, entry.size);
        attempt.track(request);
        try {
          const bytes = await request.promise;
          if ((await sha256Hex(bytes)) !== entry.sha256) {
            // The page's config may be older than the holder's bytes (a page from the browser's
            // cache, an asset changed since): the manifest decides before a peer is blamed.
            if (this.s.manifest.fromPage(url) && (await this.s.manifest.refresh(url)).sha256 !== entry.sha256) throw new LinkError('manifest-error');
            reason = 'hash-mismatch';
            this.s.reportBadPeer(peer, entry.id);
            continue;
          }
          mark('hashed', entry.id);
          return { entry, bytes, peer, blobUrl: blobUrlOf(bytes, entry) };
        } catch (err) {
          reason = err instanceof LinkError ? err.reason : 'client-error';
          // The link to this peer could not form: every image waiting on it goes to HTTP now, not at its deadline.
          if (reason === 'ice-failed') throw err;
        } finally {
          attempt.untrack(request);
        }
      }
      if (reason !== 'no-holder' && reason !== 'peer-declined') break;
    }
    throw new LinkError(attempt.expired ? 'timeout' : reason);
  }

  /**
   * Whom to ask, best first: browsers signaling named, then browsers this page
   * already has a link with, open before opening (visitors of one page mostly hold the same images,
   * and a link carries many pipelined requests; a holder without the asset
   * just declines), then server seeders.
   */
  private candidates(named: PeerId[]): PeerId[] {
    const self = this.s.selfId();
    const usable = (p: PeerId): boolean => p !== self && !this.s.pool.banned.has(p);
    const isSeeder = (p: PeerId): boolean => this.s.sourceOf(p) === 'seeder';
    const open = this.s.pool.linkedPeers().filter((p) => !named.includes(p));
    const opening = this.s.pool.linkedPeers(true).filter((p) => !named.includes(p) && !open.includes(p));
    return [
      ...named.filter((p) => !isSeeder(p)),
      ...open.filter((p) => !isSeeder(p)),
      ...opening.filter((p) => !isSeeder(p)),
      ...named.filter(isSeeder),
    ].filter(usable);
  }

  /**
   * Starts the manifest lookup early (while signaling connects; the result is
   * cached) and resolves with the entry, for the client's early `want`.
   */
  prefetch(img: HTMLImageElement): Promise<ManifestEntry | undefined> {
    const choice = chooseImage(img, this.s.win);
    return choice ? this.s.manifest.lookup(choice.url) : Promise.resolve(undefined);
  }

  /**
   * `first`: the element whose transfer it was (the others showing the same URL
   * are not counted again); `hedged`: set when HTTP had started too and the peer
   * still won (with what the HTTP leg fetched, when it had completed).
   */
  private async paint(img: HTMLImageElement, choice: ImageChoice, result: PeerResult, first: boolean, hedged?: { hedge: 'peer'; hedgeBytes?: number }): Promise<void> {
    const { entry, bytes, peer } = result;
    // A script pointed the element at another URL meanwhile: its choice wins, nothing is painted over it.
    if (!isParked(img)) return;
    // Verified bytes the browser cannot decode: the original is shown instead.
    if (!(await this.showBlob(img, choice, result.blobUrl))) return this.fallback(img, entry, 'client-error');
    mark('painted', entry.id);
    // Another element showing the same URL: that one's record counts the transfer.
    if (!first) return;
    if (!peer) {
      // Already held (verified on an earlier page view): no bytes moved for it.
      this.s.reporter.record({ id: entry.id, url: choice.url, source: 'peer', bytes: 0, ms: performance.now(), ...hedged });
      return;
    }
    const fresh = !this.s.store.has(entry.id);
    this.s.store.put({ id: entry.id, url: choice.url, bytes, type: entry.contentType ?? '' });
    if (fresh) this.s.announce([entry.id]);
    this.s.reporter.record({
      id: entry.id, url: choice.url, source: this.s.sourceOf(peer), bytes: bytes.byteLength, ms: performance.now(), peer, ...hedged,
    });
  }

  /** Original URL back, then count it as server bytes with the reason once it has loaded. */
  private fallback(img: HTMLImageElement, entry: ManifestEntry | undefined, reason: FallbackReason, candidates?: CandidateType[]): void {
    releaseToHttp(img);
    const id = entry?.id ?? assetTagOf(img)?.id ?? 'unknown';
    const url = entry?.url ?? img.currentSrc ?? img.src;
    let settled = false;
    const settle = (ms?: number): void => {
      if (settled) return;
      settled = true;
      this.s.reporter.record({ id, url, source: 'server', bytes: entry?.size ?? 0, ...(ms !== undefined ? { ms } : {}), fallback: reason, ...(candidates ? { candidates } : {}) });
    };
    const timer = setTimeout(() => settle(), FALLBACK_LOAD_WAIT_MS);
    void imagePainted(img).then((ok) => {
      releaseBox(img);
      clearTimeout(timer);
      settle(ok ? performance.now() : undefined);
      // The visitor now has the bytes in its HTTP cache: offer them to others too.
      if (ok) void this.httpHolder.adopt(img, false);
    });
  }
}

function blobUrlOf(bytes: Uint8Array, entry: ManifestEntry): string {
  return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: entry.contentType ?? 'application/octet-stream' }));
}
