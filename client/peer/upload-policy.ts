import type { DeclineReason } from '../../protocol/peer-wire.js';
import type { ServeDecision } from './peer-link.js';
import type { AssetStore } from '../store/asset-store.js';

/**
 * Uploads this page runs at once, over all links: two links' worth of pipelined
 * requests (they share each channel's bandwidth, so more only queues).
 */
export const MAX_CONCURRENT_UPLOADS = 16;
/** Bytes this page uploads per page view before it declines every request. */
export const UPLOAD_BUDGET_BYTES = 128 * 1024 * 1024;

/**
 * Decides whether this page serves a peer's request: it must hold the asset,
 * have a free upload slot and budget left, and not be paused (hidden tab).
 */
export class UploadPolicy {
  uploads = 0;
  uploadedBytes = 0;
  paused = false;

  constructor(
    private readonly store: AssetStore,
    private readonly onUploaded: (asset: string, bytes: number) => void,
    private readonly maxConcurrent = MAX_CONCURRENT_UPLOADS,
    private readonly budgetBytes = UPLOAD_BUDGET_BYTES,
  ) {}

  decide(asset: string): ServeDecision {
    const refuse = (decline: DeclineReason): ServeDecision => ({ decline });
    if (this.paused) return refuse('closing');
    const held = this.store.get(asset);
    if (!held) return refuse('not-held');
    if (this.uploads >= this.maxConcurrent || this.uploadedBytes + held.bytes.byteLength > this.budgetBytes) return refuse('busy');
    this.uploads++;
    // Reserve the budget up front so concurrent uploads cannot overshoot it.
    this.uploadedBytes += held.bytes.byteLength;
    let finished = false;
    return {
      bytes: held.bytes,
      done: (sent) => {
        if (finished) return;
        finished = true;
        this.uploads--;
        this.uploadedBytes -= held.bytes.byteLength - sent;
        if (sent > 0) this.onUploaded(asset, sent);
      },
    };
  }
}
