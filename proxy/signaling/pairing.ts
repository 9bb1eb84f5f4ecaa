import type { NatKind, PeerId, PeerRole } from '../../protocol/signal-messages.js';

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

/** What pairing knows about how a peer connects: its reported NAT and its address (equal addresses = one home, one NAT). */
export interface PeerReach {
  /** As its client measured and reported it; undefined until reported. Seeders count as `open`. */
  nat?: NatKind;
  /** The peer's address as signaling saw it. */
  address?: string;
}

export interface HolderCandidate extends PeerLocation, PeerReach {
  id: PeerId;
  role: PeerRole;
  /** When this holder was last handed to an asker (ms); 0 = never. */
  lastServedAt: number;
  /** Transfers it was handed that have not finished yet. */
  activeUploads: number;
  maxUploads: number;
  /**
   * Transfers handed to every browser holder behind this holder's address (one
   * home, one uplink), its own included. Undefined: only its own count.
   */
  uplinkUploads?: number;
}

export interface PairingOptions {
  /** Most holders to return. */
  limit: number;
  /** Rank by closeness (subnet, ASN, country); false: only role and load count. */
  geo: boolean;
  /** Peers this asker must not get (itself, peers it reported bad). */
  exclude?: ReadonlySet<PeerId>;
  /**
   * A TURN server is configured: two symmetric NATs can still meet through a
   * relay. Without one such pairs are never made. @default false
   */
  turnAvailable?: boolean;
  /**
   * Most transfers handed at once to the browser holders behind one address:
   * they share one home uplink, so more only queue on it. @default no cap
   */
  maxUplinkUploads?: number;
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

/** How likely a direct path is, lower is likelier; `never` pairs are not made. */
export const REACH = { direct: 0, unknown: 1, relay: 2, never: 3 } as const;
export type Reach = (typeof REACH)[keyof typeof REACH];

/** Either side open or cone: a STUN-learnt mapping is enough (the rule the client's NAT test is built on). */
function easy(nat: NatKind | undefined): boolean {
  return nat === 'open' || nat === 'cone';
}

/**
 * Whether two peers can be expected to connect: `direct` when both sit behind
 * one address (one home) or either side is open or cone; `relay` when both
 * reported symmetric NATs and TURN is available; `never` for symmetric against
 * symmetric without TURN (each side maps a new port per destination, so
 * neither can learn where to send); `unknown` otherwise (not reported yet).
 */
export function reach(asker: PeerReach, holder: PeerReach & { role?: PeerRole }, turnAvailable: boolean): Reach {
  if (asker.address !== undefined && asker.address === holder.address) return REACH.direct;
  const holderNat = holder.role === 'seeder' ? 'open' : holder.nat;
  if (easy(asker.nat) || easy(holderNat)) return REACH.direct;
  if (asker.nat === 'symmetric' && holderNat === 'symmetric') return turnAvailable ? REACH.relay : REACH.never;
  return REACH.unknown;
}

/**
 * Chooses up to `limit` holders for one asset, best first. Pure: same input, same
 * output. Order: browsers before seeders (the seeder is the fallback, not a
 * holder to load), then the same network (when geo), then how reachable the
 * holder is from the asker (reach(): direct, not yet known, only through TURN),
 * then the remaining closeness tiers (when geo), then the least loaded uplink
 * (transfers running from the holder's address: browsers behind one home router
 * share its uplink), then least recently served, then id (stable). Holders at
 * their upload cap, or behind an uplink at its cap, are skipped so load spreads
 * out over homes, and so are holders reach() rules out.
 */
export function pickHolders(asker: PeerLocation & PeerReach & { id: PeerId }, candidates: readonly HolderCandidate[], options: PairingOptions): PeerId[] {
  const turn = options.turnAvailable ?? false;
  const ranked: { candidate: HolderCandidate; role: number; near: number; reach: number; tier: number; uplink: number }[] = [];
  for (const candidate of candidates) {
    if (candidate.id === asker.id || options.exclude?.has(candidate.id)) continue;
    if (candidate.activeUploads >= candidate.maxUploads) continue;
    const uplink = candidate.role === 'browser' ? candidate.uplinkUploads ?? candidate.activeUploads : 0;
    if (options.maxUplinkUploads !== undefined && uplink >= options.maxUplinkUploads) continue;
    const canReach = reach(asker, candidate, turn);
    if (canReach === REACH.never) continue;
    const tier = options.geo ? proximity(asker, candidate) : TIER.anywhere;
    ranked.push({
      candidate,
      role: candidate.role === 'browser' ? 0 : 1,
      near: tier === TIER.network ? 0 : 1,
      reach: canReach,
      tier,
      uplink,
    });
  }
  ranked.sort((a, b) =>
    a.role - b.role
    || a.near - b.near
    || a.reach - b.reach
    || a.tier - b.tier
    || a.uplink - b.uplink
    || a.candidate.lastServedAt - b.candidate.lastServedAt
    || (a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0));
  const out: PeerId[] = [];
  for (const { candidate } of ranked) {
    if (out.length >= options.limit) break;
    if (!out.includes(candidate.id)) out.push(candidate.id);
  }
  return out;
}
