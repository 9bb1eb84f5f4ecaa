import { ATTR, type ClientConfig } from '../protocol/client-config.js';
import type { ManifestEntry } from '../protocol/manifest.js';
import type { ByteSource } from '../protocol/report.js';
import { SIGNAL_PROTOCOL_VERSION, type AssetId, type IceServer, type NatKind, type PeerId, type ServerMessage } from '../protocol/signal-messages.js';
import { watchAddedImages } from './dom/added-images.js';
import { assetTagOf, isParked, kindOf, releaseToHttp } from './dom/media-elements.js';
import { HttpHolder } from './images/http-holder.js';
import { intrinsicSizeOf, reserveBox } from './images/layout-box.js';
import { largestInView } from './images/lcp-candidate.js';
import { ManifestClient } from './images/manifest-client.js';
import { PeerImageLoader } from './images/peer-image-loader.js';
import { MediaLoader } from './media/media-loader.js';
import { iceDeadlineMs } from './peer/ice-deadline.js';
import { probeNat, stunUrls } from './peer/nat-probe.js';
import { PeerPool, type LinkIce } from './peer/peer-pool.js';
import { UploadPolicy } from './peer/upload-policy.js';
import { Reporter, type DebugSurface } from './report/reporter.js';
import { EarlyLinks } from './signal/early-links.js';
import { HolderDirectory } from './signal/holder-directory.js';
import { SignalClient, signalUrl } from './signal/signal-client.js';
import { AssetStore } from './store/asset-store.js';
import { PersistentCache } from './store/persistent-cache.js';
import { sha256Hex } from './utils/sha256.js';
import type { Services } from './services.js';

/** A tab hidden this long stops serving peers (and tells signaling so). */
export const HIDDEN_STOP_SERVING_MS = 30_000;
/** `have` announcements made within this window go out as one message. */
export const HAVE_BATCH_MS = 100;

/**
 * Wires one page view: signaling, peer links, the image and media loaders,
 * serving, reporting and the page lifecycle.
 */
export class PeerConnectClient implements Services {
  readonly manifest: ManifestClient;
  readonly holders: HolderDirectory;
  readonly pool: PeerPool;
  readonly store: AssetStore;
  readonly reporter: Reporter;
  private readonly signal: SignalClient;
  private readonly uploads: UploadPolicy;
  private readonly httpHolder: HttpHolder;
  private readonly images: PeerImageLoader;
  private readonly media: MediaLoader;
  private stopWatching: (() => void) | undefined;
  private readonly seeders = new Set<PeerId>();
  private readonly persisted: PersistentCache;
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pendingHave = new Set<AssetId>();
  private haveTimer: ReturnType<typeof setTimeout> | undefined;
  private welcomed = false;
  /** Manifest entries of the parked images, looked up while signaling connects: wanted in the first frame. */
  private readonly parked: Promise<ManifestEntry | undefined>[] = [];
  private readonly earlyLinks: EarlyLinks;
  /** The NAT probe's result, told to every signaling session; undefined until measured. */
  private nat: NatKind | undefined;
  private closed = false;

  constructor(readonly win: Window, readonly config: ClientConfig, surface: DebugSurface) {
    const { prefix } = config;
    this.reporter = new Reporter(surface, `${prefix}/report`, win.location.pathname);
    this.manifest = new ManifestClient(`${prefix}/manifest`);
    this.manifest.seed(config.assets ?? [], win.location.origin);
    this.signal = new SignalClient(signalUrl(win.location, prefix), {
      onMessage: (message) => this.onSignal(message),
      onWelcome: () => this.onWelcome(),
      onClose: (final) => {
        if (final) this.holders.failAll();
      },
    });
    this.holders = new HolderDirectory((assets) => this.signal.sendAssets('want', assets), (_asset, peers) => this.connectEarly(peers));
    this.persisted = new PersistentCache(win);
    this.store = new AssetStore((ids, urls) => {
      this.signal.sendAssets('lost', ids);
      for (const url of urls) void this.persisted.delete(url);
      this.syncHeld();
    });
    this.uploads = new UploadPolicy(this.store, (_asset, bytes) => {
      surface.uploadedBytes += bytes;
    });
    this.pool = new PeerPool({
      ice: () => this.linkIce(),
      signal: (message) => this.signal.send(message),
      serve: (asset) => this.uploads.decide(asset),
      ...(globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && config.fault !== undefined && config.fault !== 'throw-at-start' ? { fault: config.fault } : {}),
    });
    this.earlyLinks = new EarlyLinks(this.pool, (peer) => this.seeders.has(peer));
    this.httpHolder = new HttpHolder(this);
    this.images = new PeerImageLoader(this, this.httpHolder);
    this.media = new MediaLoader(this);
  }

  async start(): Promise<void> {
    const doc = this.win.document;
    const connected = this.signal.connect(this.win.location.pathname).then(() => true, () => false);
    this.listenLifecycle();
    this.reporter.surface.state = 'running';
    // Peer-mode images wait for signaling (bounded by its connect timeout), so
    // a down signaling server shows up as `signaling-down`, not `no-holder`.
    const up = connected;
    const mediaSeen = new Set<Element>();
    const parkedImages = [...doc.images].filter((img) => assetTagOf(img)?.mode === 'peer' && isParked(img));
    // Released in the loop below only when images are delivered at all (mediaTypes).
    const lcp = this.config.lcpHttp ? largestInView(parkedImages, { width: this.win.innerWidth, height: this.win.innerHeight }) : undefined;
    for (const el of doc.querySelectorAll(`[${ATTR.tag}]`)) {
      const kind = kindOf(el);
      if (!kind || !this.config.mediaTypes.includes(kind)) continue;
      if (kind === 'image' && el.tagName === 'IMG') {
        const img = el as HTMLImageElement;
        if (assetTagOf(el)?.mode === 'peer') {
          // Painted already: a page restored from the back/forward cache keeps its blob images.
          if (!isParked(img)) continue;
          if (img === lcp) {
            // The likely LCP image: over HTTP at once (this visitor then holds it for others).
            releaseToHttp(img);
            void this.httpHolder.adopt(img).catch(() => undefined);
            continue;
          }
          reserveBox(img, intrinsicSizeOf(img, this.win, this.manifest));
          this.parked.push(this.images.prefetch(img));
          void up.then(() => {
            if (!this.closed) this.images.add(img);
          });
        }
        else void this.httpHolder.adopt(img).catch(() => undefined);
      } else if (kind === 'video' || kind === 'audio') {
        // A tagged <source> stands for its <video>/<audio>; each element is added once.
        const media = el.tagName === 'SOURCE' ? el.parentElement : el;
        if ((media?.tagName === 'VIDEO' || media?.tagName === 'AUDIO') && !mediaSeen.has(media)) {
          mediaSeen.add(media);
          const el = media as HTMLMediaElement;
          // Strict privacy decides at welcome whether this visitor may use peers at all.
          if (this.config.privacy !== 'strict') this.media.add(el);
          else void up.then(() => (this.p2pAllowed() ? this.media.add(el) : releaseToHttp(el)));
        }
      }
    }
    // Images scripts add from now on (single-page apps, infinite scroll); see client/dom/added-images.ts.
    if (this.config.mediaTypes.includes('image')) {
      this.stopWatching = watchAddedImages(this.win, doc.documentElement, {
        // A CSP forbidding blob: images is caught when painting: the image then loads from its own URL.
        canPark: () => !this.closed && this.signalingUp() && this.p2pAllowed(),
        lookup: (url) => this.manifest.lookup(url),
        peer: (img) => this.images.add(img),
        http: (img) => void this.httpHolder.adopt(img).catch(() => undefined),
      });
    }
    if ((await up) && !this.closed) await this.restoreHeld();
  }

  /** Assets verified on earlier page views of this site: check them again, then hold and announce them. */
  private async restoreHeld(): Promise<void> {
    for (const asset of await this.persisted.restore()) {
      if (this.closed) return;
      const entry = await this.manifest.lookup(asset.url);
      if (this.closed || !entry.id || !entry.sha256 || entry.p2p === false || this.store.has(entry.id)) continue;
      if (asset.bytes.byteLength !== entry.size || (await sha256Hex(asset.bytes)) !== entry.sha256) {
        void this.persisted.delete(asset.url);
        continue;
      }
      this.store.put({ id: entry.id, url: asset.url, bytes: asset.bytes, type: asset.type });
      this.announce([entry.id], false);
    }
  }

  // ── Services ───────────────────────────────────────────────────────────────
  signalingUp(): boolean {
    return this.signal.ready || (this.welcomed && !this.signal.down);
  }

  p2pAllowed(): boolean {
    return this.linkIce() !== undefined;
  }

  /** ICE servers: the latest welcome's (fresh TURN credentials), else the page config's STUN URLs. */
  private iceServers(): IceServer[] {
    return this.signal.iceServers.length > 0 ? this.signal.iceServers : this.config.iceServers.map((urls) => ({ urls }));
  }

  /**
   * How new links connect. Strict privacy: through TURN only, and with no TURN
   * server in the welcome not at all (before any welcome, not at all either).
   */
  linkIce(): LinkIce | undefined {
    const deadlineMs = iceDeadlineMs(this.signal.rttMs);
    if (this.config.privacy !== 'strict') return { iceServers: this.iceServers(), deadlineMs };
    const iceServers = this.signal.iceServers;
    return iceServers.some((s) => [s.urls].flat().some((url) => /^turns?:/i.test(url))) ? { iceServers, relayOnly: true, deadlineMs } : undefined;
  }

  selfId(): PeerId | undefined {
    return this.signal.id;
  }

  announce(assets: AssetId[], persist = true): void {
    // Loaders finishing an await after close() must not start the batch timer or persist.
    if (this.closed) return;
    this.syncHeld();
    if (persist) {
      for (const id of assets) {
        const held = this.store.get(id);
        if (held) void this.persisted.put(held);
      }
    }
    if (this.uploads.paused || !this.p2pAllowed()) return;
    // Images settle one by one: gather their `have`s so signaling sees a few messages, not one per image.
    for (const asset of assets) this.pendingHave.add(asset);
    this.haveTimer ??= setTimeout(() => {
      this.haveTimer = undefined;
      const batch = [...this.pendingHave];
      this.pendingHave.clear();
      if (!this.uploads.paused && this.p2pAllowed()) this.signal.sendAssets('have', batch);
    }, HAVE_BATCH_MS);
  }

  reportBadPeer(peer: PeerId, asset: AssetId): void {
    this.signal.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'bad-peer', peer, asset });
    this.pool.ban(peer);
    const banned = this.reporter.surface.banned;
    if (!banned.includes(peer)) banned.push(peer);
  }

  sourceOf(peer: PeerId): ByteSource {
    return this.seeders.has(peer) ? 'seeder' : 'peer';
  }

  /** Idempotent: leave signaling, close every link, send what is left to report. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.hiddenTimer);
    clearTimeout(this.haveTimer);
    this.media.report();
    this.reporter.flush();
    this.stopWatching?.();
    this.images.close();
    this.media.close();
    this.pool.close();
    this.signal.close();
  }

  /**
   * Every welcome (first or after a reconnect: a new id, fresh ICE servers):
   * announce what this page holds, ask again for what is still waiting, tell
   * the NAT kind; after the first, start the NAT probe.
   */
  private onWelcome(): void {
    if (this.closed) return;
    this.reporter.surface.peerId = this.signal.id;
    const first = !this.welcomed;
    this.welcomed = true;
    if (!this.uploads.paused && this.p2pAllowed()) this.signal.sendAssets('have', this.store.ids);
    this.holders.resend();
    if (first) void this.wantParked();
    if (this.nat) this.sendNat();
    // Strict privacy relays everything through TURN: the NAT kind does not matter then.
    if (first && this.config.privacy !== 'strict' && stunUrls(this.iceServers()).length > 0) {
      void probeNat(this.iceServers()).then((nat) => {
        this.nat = nat;
        this.sendNat();
      });
    }
  }

  /** One `want` for every parked image, as soon as their manifest entries are in (usually before the first welcome). */
  private async wantParked(): Promise<void> {
    const entries = await Promise.all(this.parked);
    if (this.closed || !this.p2pAllowed()) return;
    const ids = entries.flatMap((e) => (e?.id && e.sha256 && e.p2p !== false && !this.store.has(e.id) ? [e.id] : []));
    this.holders.wantEarly([...new Set(ids)]);
  }

  /** Holders named for the early `want`: open a link now, so ICE runs while the images are still starting. */
  private connectEarly(peers: PeerId[]): void {
    if (!this.closed) this.earlyLinks.connect(peers, this.signal.id);
  }

  private sendNat(): void {
    if (!this.closed && this.nat) this.signal.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'nat', nat: this.nat });
  }

  private onSignal(message: ServerMessage): void {
    if (message.type === 'holders') {
      for (const seeder of message.seeders ?? []) if (this.seeders.size < 64) this.seeders.add(seeder);
      this.holders.onHolders(message.asset, message.peers, message.busy);
    } else if (message.type !== 'welcome' && message.type !== 'error') {
      this.pool.onSignal(message);
    }
  }

  private syncHeld(): void {
    this.reporter.surface.held = this.store.ids;
  }

  private listenLifecycle(): void {
    const doc = this.win.document;
    doc.addEventListener('visibilitychange', () => {
      if (this.closed) return;
      if (doc.visibilityState === 'hidden') {
        this.media.report();
        this.reporter.flush();
        this.hiddenTimer = setTimeout(() => this.pauseServing(), HIDDEN_STOP_SERVING_MS);
      } else {
        clearTimeout(this.hiddenTimer);
        this.resumeServing();
      }
    });
    this.win.addEventListener('pagehide', () => this.close());
  }

  private pauseServing(): void {
    if (this.uploads.paused) return;
    this.uploads.paused = true;
    this.signal.sendAssets('lost', this.store.ids);
  }

  private resumeServing(): void {
    if (!this.uploads.paused) return;
    this.uploads.paused = false;
    this.signal.sendAssets('have', this.store.ids);
  }
}
