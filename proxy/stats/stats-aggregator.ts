import { LRUCache } from 'lru-cache';
import type { ByteSource, FallbackReason, ReportBody } from '../../protocol/report.js';
import type { AssetStats, BytesBySource, HistoryBucket, OffloadRatios, StatsSnapshot, TimeToImage } from '../../protocol/stats.js';
import type { Metrics } from '../../core/metrics.js';
import { BYTE_SOURCES, FALLBACK_REASONS } from './report-schema.js';
import { SampleWindow } from './sample-window.js';

/** Assets tracked per-asset at once; the least recently reported are dropped first. */
export const STATS_MAX_ASSETS = 2_000;
/** Assets listed in `/stats` (top by bytes served from peers). */
export const STATS_TOP_ASSETS = 20;
/** Recent time-to-image samples kept for median and p95, per source and overall. */
export const STATS_TTI_WINDOW = 1_000;
/** Width of one bucket of the bytes-over-time history. */
export const STATS_BUCKET_MS = 5_000;
/** Buckets kept (120 × 5 s = the last 10 minutes). */
export const STATS_HISTORY_BUCKETS = 120;

export interface StatsAggregatorOptions {
  /** Counters and gauges in /metrics move with every report when given. */
  metrics?: Metrics;
  maxAssets?: number;
  topAssets?: number;
  ttiWindow?: number;
  bucketMs?: number;
  historyBuckets?: number;
  now?: () => number;
}

function zeroBytes(): BytesBySource {
  return { peer: 0, seeder: 0, server: 0, webseed: 0 };
}

function ratio(part: number, total: number): number | null {
  return total > 0 ? part / total : null;
}

export function offloadRatios(bytes: BytesBySource): OffloadRatios {
  const total = bytes.peer + bytes.seeder + bytes.server + bytes.webseed;
  return {
    peer: ratio(bytes.peer, total),
    p2p: ratio(bytes.peer + bytes.seeder, total),
    origin: ratio(bytes.peer + bytes.seeder + bytes.webseed, total),
  };
}

/**
 * Folds validated client reports into bounded totals for `/stats` and feeds the
 * Prometheus metrics. Memory is bounded whatever clients send: per-asset figures
 * live in an LRU, latencies in fixed windows, history in a fixed ring.
 */
export class StatsAggregator {
  private readonly started: number;
  private readonly now: () => number;
  private readonly metrics: Metrics | undefined;
  private readonly topAssets: number;
  private readonly bucketMs: number;
  private readonly historyBuckets: number;
  private readonly bytes = zeroBytes();
  private readonly fallbacks = Object.fromEntries(FALLBACK_REASONS.map((r) => [r, 0])) as Record<FallbackReason, number>;
  private readonly tti: SampleWindow;
  private readonly ttiBySource: Record<ByteSource, SampleWindow>;
  private readonly assets: LRUCache<string, AssetStats>;
  private readonly history: HistoryBucket[] = [];
  private reports = 0;

  constructor(options: StatsAggregatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.metrics = options.metrics;
    this.topAssets = options.topAssets ?? STATS_TOP_ASSETS;
    this.bucketMs = options.bucketMs ?? STATS_BUCKET_MS;
    this.historyBuckets = options.historyBuckets ?? STATS_HISTORY_BUCKETS;
    const window = options.ttiWindow ?? STATS_TTI_WINDOW;
    this.tti = new SampleWindow(window);
    this.ttiBySource = Object.fromEntries(BYTE_SOURCES.map((s) => [s, new SampleWindow(window)])) as Record<ByteSource, SampleWindow>;
    this.assets = new LRUCache({ max: options.maxAssets ?? STATS_MAX_ASSETS });
  }

  /** Adds one validated report. */
  ingest(report: ReportBody): void {
    this.reports++;
    const bucket = this.currentBucket();
    for (const asset of report.assets) {
      this.bytes[asset.source] += asset.bytes;
      bucket.bytes[asset.source] += asset.bytes;
      if (asset.bytes > 0) this.metrics?.mediaBytesBySource.inc({ source: asset.source }, asset.bytes);
      if (asset.fallback) {
        this.fallbacks[asset.fallback]++;
        this.metrics?.fallbacks.inc({ reason: asset.fallback });
      }
      if (asset.hedge) {
        this.metrics?.hedges.inc();
        this.metrics?.hedgesWon.inc({ leg: asset.hedge });
        // The HTTP leg's bytes: as reported, else (HTTP won) the bytes it counted as server bytes.
        const httpBytes = asset.hedgeBytes ?? (asset.hedge === 'http' ? asset.bytes : 0);
        if (httpBytes > 0) this.metrics?.hedgeHttpBytes.inc(httpBytes);
      }
      if (asset.ms !== undefined) {
        this.tti.add(asset.ms);
        this.ttiBySource[asset.source].add(asset.ms);
        this.metrics?.timeToImage.observe({ source: asset.source }, asset.ms / 1000);
      }
      let entry = this.assets.get(asset.id);
      if (!entry) {
        entry = { id: asset.id, bytes: zeroBytes(), total: 0, peerShare: 0, reports: 0 };
        this.assets.set(asset.id, entry);
      }
      entry.bytes[asset.source] += asset.bytes;
      entry.total += asset.bytes;
      entry.peerShare = entry.total > 0 ? entry.bytes.peer / entry.total : 0;
      entry.reports++;
    }
    this.metrics?.reports.inc({ result: 'accepted' });
    if (this.metrics) {
      const ratios = offloadRatios(this.bytes);
      for (const scope of ['peer', 'p2p', 'origin'] as const) {
        const value = ratios[scope];
        if (value !== null) this.metrics.offloadRatio.set({ scope }, value);
      }
    }
  }

  snapshot(): StatsSnapshot {
    const bytes = { ...this.bytes };
    const top = [...this.assets.values()]
      // Ranked by bytes peers actually served, so a tiny asset at 100 % does not crowd out real offload.
      .sort((a, b) => b.bytes.peer - a.bytes.peer || b.total - a.total)
      .slice(0, this.topAssets)
      .map((asset) => ({ ...asset, bytes: { ...asset.bytes } }));
    this.currentBucket();
    return {
      since: new Date(this.started).toISOString(),
      reports: this.reports,
      bytes,
      totalBytes: bytes.peer + bytes.seeder + bytes.server + bytes.webseed,
      offload: offloadRatios(bytes),
      fallbacks: { ...this.fallbacks },
      timeToImage: {
        ...summarize(this.tti),
        bySource: Object.fromEntries(BYTE_SOURCES.map((s) => [s, summarize(this.ttiBySource[s])])) as Record<ByteSource, TimeToImage>,
      },
      topAssets: top,
      trackedAssets: this.assets.size,
      history: this.history.map((b) => ({ t: b.t, bytes: { ...b.bytes } })),
    };
  }

  /** The bucket for now; gaps are filled with empty buckets so the series keeps its time axis. */
  private currentBucket(): HistoryBucket {
    const start = Math.floor(this.now() / this.bucketMs) * this.bucketMs;
    let last = this.history[this.history.length - 1];
    if (last && last.t === start) return last;
    let t = last ? Math.max(last.t + this.bucketMs, start - (this.historyBuckets - 1) * this.bucketMs) : start;
    for (; t <= start; t += this.bucketMs) {
      last = { t, bytes: zeroBytes() };
      this.history.push(last);
    }
    if (this.history.length > this.historyBuckets) this.history.splice(0, this.history.length - this.historyBuckets);
    return last as HistoryBucket;
  }
}

function summarize(window: SampleWindow): TimeToImage {
  const [median, p95] = window.quantiles([0.5, 0.95]);
  return { count: window.count, medianMs: median ?? null, p95Ms: p95 ?? null };
}
