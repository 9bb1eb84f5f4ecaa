import type { PeerId, PeerRole } from '../../protocol/signal-messages.js';

/** What pairing knows about a peer's place in the network (all derived from its address). */
export interface PeerLocation {
  /** From networkKey(): /24, /48 or `local`. */
  network: string;
  /** ISO country code from the GeoIP database; undefined when unknown or geo is off. */
  country?: string;
  /**
   * Autonomous system number. geoip-lite (the bundled database) has no ASN data,
   * so this stays undefined and the ASN tier is skipped until an ASN source exists.
   */
  asn?: number;
}

export interface HolderCandidate extends PeerLocation {
  id: PeerId;
  role: PeerRole;
  /** When this holder was last handed to an asker (ms); 0 = never. */
  lastServedAt: number;
  /** Transfers it was handed that have not finished yet. */
  activeUploads: number;
  maxUploads: number;
}

export interface PairingOptions {
  /** Most holders to return. */
  limit: number;
  /** Rank by closeness (subnet, ASN, country); false: only role and load count. */
  geo: boolean;
  /** Peers this asker must not get (itself, peers it reported bad). */
  exclude?: ReadonlySet<PeerId>;
}

/** Closeness tiers, lower is closer. */
export const TIER = { network: 0, asn: 1, country: 2, anywhere: 3 } as const;
export type Tier = (typeof TIER)[keyof typeof TIER];

export function proximity(asker: PeerLocation, holder: PeerLocation): Tier {
  if (asker.network === holder.network) return TIER.network;
  if (asker.asn !== undefined && asker.asn === holder.asn) return TIER.asn;
  if (asker.country !== undefined && asker.country === holder.country) return TIER.country;
  return TIER.anywhere;
}

/**
 * Chooses up to `limit` holders for one asset, best first. Pure: same input, same
 * output. Order: browsers before seeders (the seeder is the fallback, not a
 * holder to load), then closeness (when geo), then least recently served, then
 * id (stable). Holders at their upload cap are skipped so load spreads out.
 */
export function pickHolders(asker: PeerLocation & { id: PeerId }, candidates: readonly HolderCandidate[], options: PairingOptions): PeerId[] {
  const ranked: { candidate: HolderCandidate; role: number; tier: number }[] = [];
  for (const candidate of candidates) {
    if (candidate.id === asker.id || options.exclude?.has(candidate.id)) continue;
    if (candidate.activeUploads >= candidate.maxUploads) continue;
    ranked.push({
      candidate,
      role: candidate.role === 'browser' ? 0 : 1,
      tier: options.geo ? proximity(asker, candidate) : TIER.anywhere,
    });
  }
  ranked.sort((a, b) =>
    a.role - b.role
    || a.tier - b.tier
    || a.candidate.lastServedAt - b.candidate.lastServedAt
    || (a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0));
  const out: PeerId[] = [];
  for (const { candidate } of ranked) {
    if (out.length >= options.limit) break;
    if (!out.includes(candidate.id)) out.push(candidate.id);
  }
  return out;
}
