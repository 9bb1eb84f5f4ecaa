import {
  MAX_HOLDERS_PER_ASSET, SIGNAL_PROTOCOL_VERSION, type AssetId, type BadPeerMessage, type HoldersMessage,
} from '../../protocol/signal-messages.js';
import { pickHolders, type HolderCandidate, type PairingOptions } from './pairing.js';
import { PeerBans } from './peer-bans.js';
import type { PeerRegistry } from './peer-registry.js';
import { isPairedWith, type SessionLookup } from './relay.js';
import type { SignalSession } from './signal-session.js';
import type { MessageRefusal } from './strike-policy.js';

/** Holders scanned per asset per `want` (least recently served first), bounding CPU on hot assets. */
export const HOLDER_SCAN_LIMIT = 256;
/** How long a holder counts a handed-out transfer as busy if the asker never reports `have`. */
export const UPLOAD_SLOT_MS = 15_000;
/** Concurrent transfers one browser holder is handed. */
export const MAX_UPLOADS_PER_BROWSER = 4;
/**
 * Concurrent transfers handed to all browser holders behind one address. They
 * share one home uplink (10 Mbit/s in the emulated internet): four holders there
 * at MAX_UPLOADS_PER_BROWSER each split it 16 ways, and every image crawled,
 * while the seeder or another home would have sent it at the asker's downlink
 * rate. A bit more than one browser's worth, so a home still serves more than
 * one holder could.
 */
export const MAX_UPLOADS_PER_UPLINK = 6;

export interface HolderChoiceOptions {
  registry: PeerRegistry;
  lookup: SessionLookup;
  /** Rank holders by closeness (geoLocate on). */
  geo: boolean;
  /** Concurrent transfers a seeder is handed. */
  seederMaxUploads: number;
  /** A TURN server is configured, so two symmetric NATs may be paired (through a relay). @default false */
  turnAvailable?: boolean;
  /** Bans from bad-peer reports of distinct addresses. @default new PeerBans() */
  bans?: PeerBans;
}

/**
 * Holdings (`have`/`lost`) and the answer to `want`: which holders an asker
 * gets (pairing.ts ranks them) and the upload slot each hand-out takes on its
 * holder, so a busy holder is skipped until the asker reports `have` or
 * UPLOAD_SLOT_MS pass.
 */
export class HolderChoice {
  readonly bans: PeerBans;

  constructor(private readonly options: HolderChoiceOptions) {
    this.bans = options.bans ?? new PeerBans();
  }

  /** A browser finished downloading: it now holds the assets, and the holders it was given are free again. */
  have(session: SignalSession, assets: readonly AssetId[]): void {
    // A seeder holds everything already.
    if (session.role === 'seeder') return;
    // A banned holder's own downloads still free their slots; its holdings are never offered.
    if (!this.bans.isBanned(session.address)) this.options.registry.have(session.id, assets);
    for (const asset of assets) releaseSlots(session, asset, this.options.lookup);
  }

  lost(session: SignalSession, assets: readonly AssetId[]): void {
    if (session.role !== 'seeder') this.options.registry.lost(session.id, assets);
  }

  /** Chooses holders of `asset` for `session`, takes an upload slot on each and returns the `holders` answer. */
  want(session: SignalSession, asset: AssetId, now: number): HoldersMessage {
    const { registry, lookup } = this.options;
    const candidates: HolderCandidate[] = [];
    /** Transfers running from each address, over the holders scanned (those of other assets are not counted). */
    const uplinks = new Map<string, number>();
    const key = uploadKey(session, asset);
    for (const record of registry.holders(asset, HOLDER_SCAN_LIMIT)) {
      const holder = lookup(record.id);
      if (!holder || holder.closed) continue;
      // Asking again for the same asset (an early want's answer gone stale) reuses this asker's own slot:
      // it must not count against the holder, or a holder full of this asker's early wants looks busy to it.
      const activeUploads = holder.activeUploads(now) - (holder.uploads.has(key) ? 1 : 0);
      // An explicit literal, not a spread: spreading records was the hot spot of `want` at 10k peers.
      candidates.push({
        id: record.id, role: record.role, network: record.network, country: record.country, asn: record.asn,
        nat: holder.nat, address: holder.address,
        lastServedAt: holder.lastServedAt,
        activeUploads,
        maxUploads: holder.role === 'seeder' ? this.options.seederMaxUploads : MAX_UPLOADS_PER_BROWSER,
      });
      // A holder on another instance has no address here (''): it shares no uplink we know of.
      if (holder.role === 'browser' && holder.address !== '') uplinks.set(holder.address, (uplinks.get(holder.address) ?? 0) + activeUploads);
    }
    for (const candidate of candidates) {
      if (candidate.role === 'browser' && candidate.address) candidate.uplinkUploads = uplinks.get(candidate.address) ?? candidate.activeUploads;
    }
    const blocked = session.blocked.get(asset);
    const pairing: PairingOptions = {
      limit: MAX_HOLDERS_PER_ASSET, geo: this.options.geo, turnAvailable: this.options.turnAvailable ?? false, maxUplinkUploads: MAX_UPLOADS_PER_UPLINK,
    };
    if (blocked) pairing.exclude = blocked;
    const chosen = pickHolders(session, candidates, pairing);
    const seeders: string[] = [];
    for (const id of chosen) {
      const holder = lookup(id) as SignalSession;
      holder.lastServedAt = now;
      holder.uploads.set(key, now + UPLOAD_SLOT_MS);
      session.addOffered(id);
      if (holder.role === 'seeder') seeders.push(id);
    }
    registry.served(asset, chosen);
    session.expect(asset, chosen);
    const reply: HoldersMessage = { v: SIGNAL_PROTOCOL_VERSION, type: 'holders', asset, peers: chosen };
    if (seeders.length > 0) reply.seeders = seeders;
    if (chosen.length === 0 && candidates.length > 0) {
      // Nobody free: would anyone be chosen with free slots? Then the asker waits for a slot rather than giving up.
      const idle = candidates.map((c) => ({ ...c, activeUploads: 0, uplinkUploads: 0 }));
      const busy = pickHolders(session, idle, { ...pairing, maxUplinkUploads: undefined }).length;
      if (busy > 0) reply.busy = busy;
    }
    return reply;
  }

  /** The reporter is no longer given that holder for that asset; only peers it was given can be reported. */
  badPeer(session: SignalSession, message: BadPeerMessage): MessageRefusal | undefined {
    if (!isPairedWith(session, message.peer)) return { reason: 'not-paired', message: 'report only peers you were given' };
    session.block(message.asset, message.peer);
    const holder = this.options.lookup(message.peer);
    // Seeders authenticated with the seeder secret serve the server's own bytes: never banned by visitors.
    // A holder on another instance has no address here (''): bans are per instance, by address.
    if (holder && holder.role !== 'seeder' && holder.address !== '' && this.bans.report(holder.address, session.address)) {
      this.options.registry.leave(holder.id);
    }
    return undefined;
  }
}

/** The asker finished (or gave up on) an asset: its holders' upload slots free up. */
export function releaseSlots(session: SignalSession, asset: AssetId, lookup: SessionLookup): void {
  const holders = session.awaiting.get(asset);
  if (!holders) return;
  session.awaiting.delete(asset);
  for (const id of holders) lookup(id)?.uploads.delete(uploadKey(session, asset));
}

/** Frees every slot a leaving asker still holds on others. */
export function releaseAllSlots(session: SignalSession, lookup: SessionLookup): void {
  for (const asset of [...session.awaiting.keys()]) releaseSlots(session, asset, lookup);
}

function uploadKey(asker: SignalSession, asset: AssetId): string {
  return `${asker.id} ${asset}`;
}
