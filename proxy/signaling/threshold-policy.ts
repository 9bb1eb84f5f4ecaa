import type { HolderCounts } from '../../core/feature.js';
import type { DeliveryMode, MediaKind } from '../../protocol/media.js';

/** What the injector knows about one media element. */
export interface PolicyAsset {
  id: string;
  url: string;
  kind: MediaKind;
}

export type DeliveryPolicy = (asset: PolicyAsset) => DeliveryMode;

/**
 * The seed's rule: an asset loads from peers once at least `threshold` browsers
 * announced a completed download of it (with threshold 3, the 4th visitor loads
 * from peers). The server seeder is the fallback and never counts. Threshold 0:
 * always peers, the seeder serves the first visitors.
 */
export function createThresholdPolicy(holders: HolderCounts, threshold: number): DeliveryPolicy {
  return (asset) => (threshold === 0 || holders.holderCount(asset.id) >= threshold ? 'peer' : 'http');
}
