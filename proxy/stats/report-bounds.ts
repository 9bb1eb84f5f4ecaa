import type { ReportBody } from '../../protocol/report.js';
import { RateLimiter } from '../../core/utils/rate-limiter.js';

/**
 * Bytes one asset counts for in one report when the server does not know its
 * size (an id no manifest indexed): generous for an image or a stretch of video,
 * small beside the offload totals.
 */
export const REPORT_UNKNOWN_ASSET_MAX_BYTES = 64 * 1024 * 1024;
/** Bytes one client address may add to the figures: a burst, then a steady rate. */
export const REPORT_ADDRESS_BURST_BYTES = 1024 ** 3;
export const REPORT_ADDRESS_BYTES_PER_SEC = 16 * 1024 * 1024;
/** Addresses remembered by the byte budget (least recently seen forgotten first). */
export const REPORT_BOUNDS_MAX_CLIENTS = 10_000;

export interface ReportBoundsOptions {
  /** The size the server indexed for an asset id (from its manifest), if any. */
  sizeOf: (assetId: string) => number | undefined;
  now?: () => number;
  burstBytes?: number;
  bytesPerSec?: number;
}

export interface BoundedReport {
  report: ReportBody;
  /** Bytes claimed beyond what the report could plausibly hold (0 for an honest report). */
  droppedBytes: number;
}

/**
 * Keeps one client's beacons from moving the offload figures beyond what it could
 * have loaded: per asset and report, no more than the asset's indexed size (or
 * REPORT_UNKNOWN_ASSET_MAX_BYTES); per address, a byte budget across reports.
 * Reports are trimmed, not refused, so an honest client's counts stay exact.
 */
export class ReportBounds {
  private readonly budget: RateLimiter;

  constructor(private readonly options: ReportBoundsOptions) {
    this.budget = new RateLimiter({
      burst: options.burstBytes ?? REPORT_ADDRESS_BURST_BYTES,
      perSecond: options.bytesPerSec ?? REPORT_ADDRESS_BYTES_PER_SEC,
      maxClients: REPORT_BOUNDS_MAX_CLIENTS,
      now: options.now,
    });
  }

  apply(report: ReportBody, address: string): BoundedReport {
    const counted = new Map<string, number>();
    let dropped = 0;
    const assets = report.assets.map((asset) => {
      const limit = this.options.sizeOf(asset.id) ?? REPORT_UNKNOWN_ASSET_MAX_BYTES;
      const so = counted.get(asset.id) ?? 0;
      let bytes = Math.min(asset.bytes, Math.max(0, limit - so));
      // Bytes count only while the address has budget left; the rest are dropped.
      if (bytes > 0 && !this.budget.take(address, bytes)) bytes = 0;
      counted.set(asset.id, so + bytes);
      dropped += asset.bytes - bytes;
      // A hedge's HTTP leg fetched the asset at most once: no more than its size.
      const hedgeBytes = asset.hedgeBytes === undefined ? undefined : Math.min(asset.hedgeBytes, limit);
      if (bytes === asset.bytes && hedgeBytes === asset.hedgeBytes) return asset;
      return { ...asset, bytes, ...(hedgeBytes === undefined ? {} : { hedgeBytes }) };
    });
    return { report: assets.every((a, i) => a === report.assets[i]) ? report : { ...report, assets }, droppedBytes: dropped };
  }
}
