import { LRUCache } from 'lru-cache';

/** Distinct reporting addresses after which a holder is no longer offered to anyone. */
export const BAN_AFTER_REPORTERS = 3;
/** How long a banned address stays unoffered (a reconnect with a new peer id does not lift it). */
export const BAN_MS = 30 * 60 * 1000;
/** Holders with pending reports, and banned addresses, remembered at once (oldest forgotten first). */
const MAX_TRACKED = 10_000;

/**
 * Server-side bans built from `bad-peer` reports. One reporter only stops being
 * given that holder (holder-choice.ts); when reporters from BAN_AFTER_REPORTERS
 * distinct addresses accuse the same holder, its address is banned: its holdings
 * are dropped and later `have`s are ignored until BAN_MS pass. Counting
 * addresses, not peer ids, keeps one visitor with many tabs from banning an
 * honest holder.
 */
export class PeerBans {
  private readonly reporters = new LRUCache<string, Set<string>>({ max: MAX_TRACKED });
  private readonly banned: LRUCache<string, true>;

  constructor(private readonly threshold = BAN_AFTER_REPORTERS, banMs = BAN_MS) {
    this.banned = new LRUCache({ max: MAX_TRACKED, ttl: banMs, ttlAutopurge: false });
  }

  /** Records that `reporterAddress` accused the holder at `holderAddress`; true when that bans it now. */
  report(holderAddress: string, reporterAddress: string): boolean {
    // Reporting yourself (or a holder behind your own address) proves nothing.
    if (holderAddress === reporterAddress || this.banned.has(holderAddress)) return false;
    let set = this.reporters.get(holderAddress);
    if (!set) {
      set = new Set();
      this.reporters.set(holderAddress, set);
    }
    set.add(reporterAddress);
    if (set.size < this.threshold) return false;
    this.reporters.delete(holderAddress);
    this.banned.set(holderAddress, true);
    return true;
  }

  isBanned(address: string): boolean {
    return this.banned.has(address);
  }

  get size(): { pending: number; banned: number } {
    return { pending: this.reporters.size, banned: this.banned.size };
  }
}
