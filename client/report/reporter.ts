import { isAssetId } from '../../protocol/asset-id.js';
import { REPORT_MAX_ASSETS, REPORT_MAX_BYTES, type AssetReport, type ByteSource, type FallbackReason, type ReportBody } from '../../protocol/report.js';

/** Reports are sent this long after the last asset settled (and on pagehide/hidden). */
export const REPORT_DEBOUNCE_MS = 1_000;
/** Asset reports kept while waiting to be sent. */
const MAX_QUEUED_REPORTS = 1_000;
/** Longer times are a background tab, not a load time; the server refuses them. */
const MAX_REPORT_MS = 10 * 60 * 1000;
const MAX_PAGE_CHARS = 512;
/** Per-asset records kept on the debugging surface. */
const MAX_DEBUG_ASSETS = 500;

export interface AssetRecord extends AssetReport {
  url: string;
  /** Remote peer id for peer/seeder sources. */
  peer?: string;
}

/**
 * `window.__peerconnect`: a read-only debugging surface (documented in
 * client/README.md) that end-to-end tests also read. Plain data only.
 */
export interface DebugSurface {
  version: 1;
  state: 'starting' | 'running' | 'off' | 'failed';
  /** Why P2P is off (opt-out) or what failed. */
  reason?: string;
  peerId?: string;
  bytes: Record<ByteSource, number>;
  uploadedBytes: number;
  assets: Record<string, AssetRecord>;
  fallbacks: Partial<Record<FallbackReason, number>>;
  /** Peers banned after sending bytes that failed verification. */
  banned: string[];
  /** Held (verified) asset ids this page announces. */
  held: string[];
  /** Blob URL painted → the original URL whose verified bytes it holds. */
  blobs: Record<string, string>;
  /** Video/audio delivered through WebTorrent, by asset id. */
  media: Record<string, MediaRecord>;
  reportsSent: number;
}

export interface MediaRecord {
  url: string;
  infoHash?: string;
  state: 'loading' | 'streaming' | 'fallback';
  fallback?: FallbackReason;
  /** Bytes downloaded by wire type (webrtc peers vs webseed). */
  webrtcBytes: number;
  webseedBytes: number;
  webrtcPeers: number;
}

export function createDebugSurface(): DebugSurface {
  return {
    version: 1, state: 'starting',
    bytes: { peer: 0, seeder: 0, server: 0, webseed: 0 },
    uploadedBytes: 0, assets: {}, fallbacks: {}, banned: [], held: [], blobs: {}, media: {}, reportsSent: 0,
  };
}

/** Counts bytes by source and fallbacks, and beacons them to `<prefix>/report` in bounded batches. */
export class Reporter {
  private queue: AssetReport[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly surface: DebugSurface,
    private readonly endpoint: string,
    private readonly page: string,
  ) {
    this.page = page.slice(0, MAX_PAGE_CHARS);
  }

  record(record: AssetRecord): void {
    const s = this.surface;
    s.bytes[record.source] += record.bytes;
    if (record.fallback) s.fallbacks[record.fallback] = (s.fallbacks[record.fallback] ?? 0) + 1;
    if (record.id in s.assets || Object.keys(s.assets).length < MAX_DEBUG_ASSETS) s.assets[record.id] = record;
    const report: AssetReport = { id: record.id, source: record.source, bytes: record.bytes };
    if (record.ms !== undefined) report.ms = Math.min(MAX_REPORT_MS, Math.max(0, Math.round(record.ms)));
    if (record.fallback) report.fallback = record.fallback;
    if (record.candidates) report.candidates = record.candidates;
    if (record.hedge) report.hedge = record.hedge;
    if (record.hedge && record.hedgeBytes !== undefined) report.hedgeBytes = record.hedgeBytes;
    // Only what the server accepts (asset ids are 22 base64url characters): one bad entry would void the batch.
    if (isAssetId(report.id) && this.queue.length < MAX_QUEUED_REPORTS) this.queue.push(report);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), REPORT_DEBOUNCE_MS);
  }

  /** Sends everything queued; safe to call from pagehide. */
  flush(): void {
    clearTimeout(this.timer);
    while (this.queue.length > 0) {
      let count = Math.min(this.queue.length, REPORT_MAX_ASSETS);
      let body = this.body(count);
      while (body.length > REPORT_MAX_BYTES && count > 1) {
        count = Math.ceil(count / 2);
        body = this.body(count);
      }
      this.queue.splice(0, count);
      if (body.length > REPORT_MAX_BYTES) continue;
      try {
        const sent = navigator.sendBeacon?.(this.endpoint, new Blob([body], { type: 'application/json' }));
        if (sent) this.surface.reportsSent++;
      } catch {
        // beacons are best effort
      }
    }
  }

  private body(count: number): string {
    const body: ReportBody = { v: 1, page: this.page, assets: this.queue.slice(0, count) };
    return JSON.stringify(body);
  }
}
