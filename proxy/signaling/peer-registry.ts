import type { AssetId, PeerId, PeerRole } from '../../protocol/signal-messages.js';
import type { PeerLocation } from './pairing.js';

export interface PeerRecord extends PeerLocation {
  id: PeerId;
  role: PeerRole;
}

export interface RegistryStats {
  peers: number;
  browsers: number;
  seeders: number;
  /** Assets with at least one browser holder. */
  swarms: number;
  /** Sum over assets of browser holders. */
  holdings: number;
  /** The `top` assets with the most browser holders, most first. */
  topAssets: { asset: AssetId; holders: number }[];
}

/**
 * Who is online and who holds what. Deliberately narrow so a shared store (Redis,
 * for several proxy instances) can implement it; that implementation is expected
 * to keep a local mirror fed by pub/sub, which is why reads are synchronous (the
 * injector's threshold policy runs inside a streaming HTML rewrite).
 *
 * Seeders hold every asset implicitly and never count as holders.
 */
export interface PeerRegistry {
  /** False when the registry is full. */
  join(peer: PeerRecord): boolean;
  /** Removes the peer and every holding. Unknown ids are ignored. */
  leave(id: PeerId): void;
  /** Records completed downloads; returns how many were accepted (bounded per peer and overall). */
  have(id: PeerId, assets: readonly AssetId[]): number;
  lost(id: PeerId, assets: readonly AssetId[]): void;
  /**
   * Browser holders of the asset, least recently served first (at most `scanLimit`),
   * followed by every seeder.
   */
  holders(asset: AssetId, scanLimit: number): PeerRecord[];
  /** Browser holders only: what the threshold counts. */
  holderCount(asset: AssetId): number;
  /** Marks holders as just handed out, so the next asker starts with others. */
  served(asset: AssetId, ids: readonly PeerId[]): void;
  stats(top: number): RegistryStats;
}

export interface RegistryLimits {
  maxPeers: number;
  /** Assets one peer may announce. */
  maxAssetsPerPeer: number;
  /** Distinct assets tracked; announcements of new assets beyond it are ignored. */
  maxAssets: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  maxPeers: 20_000,
  maxAssetsPerPeer: 2_048,
  maxAssets: 200_000,
};

/** The in-process registry: one Map per asset, insertion order = least recently served first. */
export class InMemoryPeerRegistry implements PeerRegistry {
  private readonly peers = new Map<PeerId, PeerRecord>();
  private readonly seeders = new Map<PeerId, PeerRecord>();
  private readonly holdingsByPeer = new Map<PeerId, Set<AssetId>>();
  private readonly holdersByAsset = new Map<AssetId, Set<PeerId>>();
  private holdingCount = 0;
  private readonly limits: RegistryLimits;

  constructor(limits: Partial<RegistryLimits> = {}) {
    this.limits = { ...DEFAULT_REGISTRY_LIMITS, ...limits };
  }

  join(peer: PeerRecord): boolean {
    if (this.peers.has(peer.id)) return true;
    if (this.peers.size >= this.limits.maxPeers) return false;
    const record: PeerRecord = { id: peer.id, role: peer.role, network: peer.network, country: peer.country, asn: peer.asn };
    this.peers.set(peer.id, record);
    if (peer.role === 'seeder') this.seeders.set(peer.id, record);
    else this.holdingsByPeer.set(peer.id, new Set());
    return true;
  }

  leave(id: PeerId): void {
    if (!this.peers.delete(id)) return;
    this.seeders.delete(id);
    const held = this.holdingsByPeer.get(id);
    this.holdingsByPeer.delete(id);
    if (held) this.dropHoldings(id, held);
  }

  have(id: PeerId, assets: readonly AssetId[]): number {
    const held = this.holdingsByPeer.get(id);
    if (!held) return 0;
    let accepted = 0;
    for (const asset of assets) {
      if (held.has(asset)) {
        accepted++;
        continue;
      }
      if (held.size >= this.limits.maxAssetsPerPeer) break;
      let holders = this.holdersByAsset.get(asset);
      if (!holders) {
        if (this.holdersByAsset.size >= this.limits.maxAssets) continue;
        holders = new Set();
        this.holdersByAsset.set(asset, holders);
      }
      holders.add(id);
      held.add(asset);
      this.holdingCount++;
      accepted++;
    }
    return accepted;
  }

  lost(id: PeerId, assets: readonly AssetId[]): void {
    const held = this.holdingsByPeer.get(id);
    if (!held) return;
    const gone = assets.filter((asset) => held.delete(asset));
    this.dropHoldings(id, gone);
  }

  holders(asset: AssetId, scanLimit: number): PeerRecord[] {
    const out: PeerRecord[] = [];
    const holders = this.holdersByAsset.get(asset);
    if (holders) {
      for (const id of holders) {
        if (out.length >= scanLimit) break;
        const record = this.peers.get(id);
        if (record) out.push(record);
      }
    }
    for (const seeder of this.seeders.values()) out.push(seeder);
    return out;
  }

  holderCount(asset: AssetId): number {
    return this.holdersByAsset.get(asset)?.size ?? 0;
  }

  served(asset: AssetId, ids: readonly PeerId[]): void {
    const holders = this.holdersByAsset.get(asset);
    if (!holders) return;
    for (const id of ids) {
      // Delete + add moves the holder to the end: the next asker scans others first.
      if (holders.delete(id)) holders.add(id);
    }
  }

  stats(top: number): RegistryStats {
    const best: { asset: AssetId; holders: number }[] = [];
    if (top > 0) {
      for (const [asset, holders] of this.holdersByAsset) {
        const size = holders.size;
        if (best.length === top && size <= (best[best.length - 1] as { holders: number }).holders) continue;
        best.push({ asset, holders: size });
        best.sort((a, b) => b.holders - a.holders);
        if (best.length > top) best.pop();
      }
    }
    return {
      peers: this.peers.size,
      browsers: this.peers.size - this.seeders.size,
      seeders: this.seeders.size,
      swarms: this.holdersByAsset.size,
      holdings: this.holdingCount,
      topAssets: best,
    };
  }

  private dropHoldings(id: PeerId, assets: Iterable<AssetId>): void {
    for (const asset of assets) {
      const holders = this.holdersByAsset.get(asset);
      if (!holders?.delete(id)) continue;
      this.holdingCount--;
      if (holders.size === 0) this.holdersByAsset.delete(asset);
    }
  }
}
