import type { FallbackReason } from '../../protocol/report.js';
import { ATTR } from '../../protocol/client-config.js';
import { assetTagOf, mediaUrl, relatedSources, releaseToHttp } from '../dom/media-elements.js';
import type { MediaRecord } from '../report/reporter.js';
import type { Services } from '../services.js';
import { ensureStreamingWorker } from './service-worker.js';

/** Torrent metadata (fetch + parse) must be ready within this. */
export const MEDIA_READY_TIMEOUT_MS = 10_000;
/**
 * Peers get this long to deliver before the webseed (the proxy over HTTP) is
 * added; it is added at once when playback stalls. Keeps the server for what
 * peers cannot serve.
 */
export const WEBSEED_GRACE_MS = 1_500;
/** How often WebTorrent wire statistics are copied to the debugging surface. */
export const MEDIA_STATS_INTERVAL_MS = 1_000;
/** Streaming bytes are reported this often while playing (and on hidden/pagehide). */
export const MEDIA_REPORT_INTERVAL_MS = 10_000;

// Just the parts of WebTorrent's browser build this file touches.
interface WtWire { type: string; downloaded: number }
interface WtFile { name: string; length: number; streamTo(el: HTMLMediaElement): void }
interface WtTorrent {
  files: WtFile[];
  wires: WtWire[];
  ready: boolean;
  done: boolean;
  downloaded: number;
  addWebSeed(url: string): void;
  once(event: 'ready' | 'error', cb: (err?: unknown) => void): void;
  on(event: 'wire' | 'warning' | 'error', cb: (arg: unknown) => void): void;
  destroy(): void;
}
interface WtClient {
  add(torrent: Uint8Array, opts: { announce: string[] }): WtTorrent;
  createServer(opts: { controller: ServiceWorkerRegistration }): unknown;
  on(event: 'error', cb: (err: unknown) => void): void;
  destroy(): void;
}
type WtConstructor = new (opts: { tracker: { rtcConfig: RTCConfiguration }; webSeeds: boolean }) => WtClient;

class MediaFailure extends Error {
  constructor(readonly reason: FallbackReason) {
    super(reason);
  }
}

/**
 * Video/audio over WebTorrent (loaded with `import()` only when the page has
 * tagged media): torrent from `<prefix>/torrents/<infohash>.torrent`, the
 * proxy's tracker and webseed, streamed into the existing element. Anything
 * unavailable or failing → the element plays its original URL.
 */
export class MediaLoader {
  private client: Promise<WtClient> | undefined;
  private worker: Promise<ServiceWorkerRegistration | undefined> | undefined;
  private readonly torrents: { torrent: WtTorrent; record: MediaRecord; id: string; reported: { webrtc: number; webseed: number } }[] = [];
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  /** Original URL per element, kept before the element is pointed at the stream. */
  private readonly originals = new WeakMap<HTMLMediaElement, string>();
  private readonly failed = new WeakSet<HTMLMediaElement>();
  private closed = false;

  constructor(private readonly s: Services) {}

  add(el: HTMLMediaElement): void {
    if (this.closed) return;
    // The poster is a plain image: let it load over HTTP right away.
    const poster = el.getAttribute(ATTR.poster);
    if (poster !== null) {
      el.removeAttribute(ATTR.poster);
      if (!el.hasAttribute('poster')) el.setAttribute('poster', poster);
    }
    const url = mediaUrl(el);
    if (url) this.originals.set(el, url);
    void this.load(el).catch((err: unknown) => {
      // After close() the page is going away: nothing is put back or reported.
      if (!this.closed) this.fallback(el, err instanceof MediaFailure ? err.reason : 'client-error');
    });
  }

  /** Reports bytes per wire type received since the last report. */
  report(): void {
    for (const item of this.torrents) {
      this.refresh(item);
      const webrtc = item.record.webrtcBytes - item.reported.webrtc;
      const webseed = item.record.webseedBytes - item.reported.webseed;
      item.reported = { webrtc: item.record.webrtcBytes, webseed: item.record.webseedBytes };
      if (webrtc > 0) this.s.reporter.record({ id: item.id, url: item.record.url, source: 'peer', bytes: webrtc });
      if (webseed > 0) this.s.reporter.record({ id: item.id, url: item.record.url, source: 'webseed', bytes: webseed });
    }
  }

  /** Idempotent. A load still waiting (manifest, worker, WebTorrent, torrent file) stops at its next step. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    void this.client?.then((c) => c.destroy(), () => undefined);
  }

  private async load(el: HTMLMediaElement): Promise<void> {
    const url = this.originals.get(el);
    if (!url) throw new MediaFailure('client-error');
    const entry = await this.s.manifest.lookup(url);
    if (this.closed) return;
    if (!entry.infoHash || !entry.id || entry.p2p === false) throw new MediaFailure('manifest-error');
    const record: MediaRecord = { url, infoHash: entry.infoHash, state: 'loading', webrtcBytes: 0, webseedBytes: 0, webrtcPeers: 0 };
    this.s.reporter.surface.media[entry.id] = record;
    const { prefix } = this.s.config;
    this.worker ??= ensureStreamingWorker(this.s.win, `${prefix}/sw.min.js`);
    const registration = await this.worker;
    if (this.closed) return;
    if (!registration) throw new MediaFailure('unsupported');
    const client = await this.webtorrent(registration);
    if (this.closed) return;
    const torrentFile = await fetchBytes(`${prefix}/torrents/${entry.infoHash}.torrent`);
    if (this.closed) return;
    const loc = this.s.win.location;
    // The tracker the served torrent names (P2P_TRACKER_URL or the proxy's own),
    // also given here so a torrent file cached from elsewhere still reaches it.
    const torrent = client.add(torrentFile, {
      announce: [this.s.config.trackerUrl ?? `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${prefix}/tracker`],
    });
    torrent.on('warning', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new MediaFailure('timeout')), MEDIA_READY_TIMEOUT_MS);
      if (torrent.ready) {
        clearTimeout(timer);
        resolve();
      }
      torrent.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      torrent.once('error', () => {
        clearTimeout(timer);
        reject(new MediaFailure('protocol-violation'));
      });
    });
    // close() destroyed the WebTorrent client, and this torrent with it.
    if (this.closed) return;
    const file = [...torrent.files].sort((a, b) => b.length - a.length)[0];
    if (!file) throw new MediaFailure('manifest-error');
    this.scheduleWebseed(el, torrent, new URL(`${prefix}/seed/${entry.id}`, loc.href).href);
    el.addEventListener('error', () => this.fallback(el, 'peer-closed'), { once: true });
    el.removeAttribute(ATTR.src);
    for (const source of relatedSources(el)) source.removeAttribute(ATTR.src);
    file.streamTo(el);
    record.state = 'streaming';
    this.torrents.push({ torrent, record, id: entry.id, reported: { webrtc: 0, webseed: 0 } });
    let ticks = 0;
    this.statsTimer ??= setInterval(() => {
      this.torrents.forEach((t) => this.refresh(t));
      if (++ticks % Math.round(MEDIA_REPORT_INTERVAL_MS / MEDIA_STATS_INTERVAL_MS) === 0) this.report();
    }, MEDIA_STATS_INTERVAL_MS);
  }

  /**
   * Adds the webseed once peers stop making progress, or when playback stalls.
   * A stall within the first grace period is expected (wires are still being
   * set up; the seeder is always in the swarm) and does not count: otherwise the
   * webseed, fast over HTTP, would take every piece before a peer could send one.
   * The interval check still adds it after the grace period if peers sent nothing.
   */
  private scheduleWebseed(el: HTMLMediaElement, torrent: WtTorrent, url: string): void {
    const startedAt = performance.now();
    let added = false;
    let last = -1;
    const add = (): void => {
      if (added) return;
      added = true;
      clearInterval(timer);
      el.removeEventListener('waiting', onStall);
      el.removeEventListener('stalled', onStall);
      try {
        torrent.addWebSeed(url);
      } catch {
        // torrent destroyed
      }
    };
    const onStall = (): void => {
      if (performance.now() - startedAt >= WEBSEED_GRACE_MS) add();
    };
    const timer = setInterval(() => {
      if (torrent.done) return clearInterval(timer);
      if (torrent.downloaded <= last) add();
      last = torrent.downloaded;
    }, WEBSEED_GRACE_MS);
    el.addEventListener('waiting', onStall);
    el.addEventListener('stalled', onStall);
  }

  private webtorrent(registration: ServiceWorkerRegistration): Promise<WtClient> {
    this.client ??= (async () => {
      const vendor = `${this.s.config.prefix}/vendor/webtorrent.min.js`;
      const mod = (await import(/* @vite-ignore */ vendor)) as { default: WtConstructor };
      // The welcome's servers (TURN included), as for image links; media is only added when P2P is allowed.
      const ice = this.s.linkIce();
      const client = new mod.default({
        tracker: { rtcConfig: { iceServers: ice?.iceServers ?? [], ...(ice?.relayOnly ? { iceTransportPolicy: 'relay' as const } : {}) } },
        // Web seeds are added by scheduleWebseed, after peers had their chance.
        webSeeds: false,
      });
      client.on('error', () => undefined);
      client.createServer({ controller: registration });
      return client;
    })();
    return this.client;
  }

  private refresh(item: { torrent: WtTorrent; record: MediaRecord }): void {
    let webrtc = 0;
    let webseed = 0;
    let peers = 0;
    for (const wire of item.torrent.wires) {
      if (wire.type === 'webSeed') webseed += wire.downloaded;
      else {
        webrtc += wire.downloaded;
        peers++;
      }
    }
    // Wires come and go: keep the running maximum so closed wires still count.
    item.record.webrtcBytes = Math.max(item.record.webrtcBytes, webrtc);
    item.record.webseedBytes = Math.max(item.record.webseedBytes, webseed);
    item.record.webrtcPeers = Math.max(item.record.webrtcPeers, peers);
  }

  private fallback(el: HTMLMediaElement, reason: FallbackReason): void {
    if (this.failed.has(el)) return;
    this.failed.add(el);
    const url = this.originals.get(el);
    const released = releaseToHttp(el);
    if (!released && url && el.src && el.src !== url) {
      // Already pointed at the stream: back to its own URL.
      el.src = url;
      el.load();
    }
    const id = assetTagOf(el)?.id ?? 'unknown';
    const record = Object.values(this.s.reporter.surface.media).find((m) => m.url === url);
    if (record) {
      record.state = 'fallback';
      record.fallback = reason;
    }
    this.s.reporter.record({ id, url: url ?? '', source: 'server', bytes: 0, fallback: reason });
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), MEDIA_READY_TIMEOUT_MS);
  try {
    const res = await fetch(url, { signal: controller.signal, credentials: 'same-origin' });
    if (!res.ok) throw new MediaFailure('manifest-error');
    return new Uint8Array(await res.arrayBuffer());
  } finally {
    clearTimeout(timer);
  }
}
