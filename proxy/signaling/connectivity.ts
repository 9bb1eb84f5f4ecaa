import { LRUCache } from 'lru-cache';
import type { CandidateType } from '../../protocol/signal-messages.js';
import type { ConnectivityStats, LinkPairType, NetworkConnectivity as NetworkFigures, NetworkMode } from '../../protocol/stats.js';

export type { ConnectivityStats, LinkPairType, NetworkMode } from '../../protocol/stats.js';

/** Evidence loses half its weight every this long, so a network that changed (new router, a fixed firewall) gets another chance. */
export const LINK_HALF_LIFE_MS = 15 * 60_000;
/** Decayed attempts a network needs before its success share is believed. */
export const HTTP_MIN_ATTEMPTS = 8;
/** A network whose share of successful attempts is below this gets its pages in `http` mode. */
export const HTTP_SUCCESS_FLOOR = 0.25;
/**
 * A marked network goes back to peers once its success share reaches this, or
 * once its evidence has decayed below HTTP_RETRY_ATTEMPTS (at least one
 * half-life after marking). The gap to the floor keeps it from flapping.
 */
export const HTTP_RECOVER_SHARE = 0.5;
export const HTTP_RETRY_ATTEMPTS = HTTP_MIN_ATTEMPTS / 2;
/** Networks remembered; the least recently seen is forgotten first. */
export const MAX_NETWORKS = 10_000;
/**
 * Link reports one signaling session adds to its network's figures. Below
 * HTTP_MIN_ATTEMPTS, so one visitor alone (or one misbehaving client) cannot
 * switch its neighbours to HTTP.
 */
export const MAX_LINK_REPORTS_PER_SESSION = 4;
/** Networks listed in stats().top. */
export const TOP_NETWORKS = 10;

const PAIR_TYPES: readonly LinkPairType[] = ['host', 'srflx', 'relay', 'unknown'];

/** What one `link` report says, as far as learning goes. */
export interface LinkOutcome {
  ok: boolean;
  local?: CandidateType;
  remote?: CandidateType;
}

/** What signaling records and the page policy asks; implemented in memory here, shareable later. */
export interface ConnectivityLog {
  /** One connection attempt made by a visitor of `network`. */
  record(network: string, outcome: LinkOutcome): void;
  /** `http` while the network's attempts keep failing, else `peer`. */
  mode(network: string): NetworkMode;
  /** Networks in `http` mode now (for the gauge). */
  httpNetworks(): number;
  stats(top?: number): ConnectivityStats;
}

export interface NetworkConnectivityOptions {
  /** @default MAX_NETWORKS */
  maxNetworks?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Decayed counts of one network, as of `at`. */
interface NetworkRecord {
  at: number;
  attempts: number;
  successes: number;
  pairs: Record<LinkPairType, number>;
  http: boolean;
}

/**
 * The selected pair's kind: `relay` when either end used TURN, `host` when both
 * ends were host candidates, `srflx` when a NAT mapping (srflx or prflx) was
 * used, `unknown` when the client could not tell.
 */
export function pairType(local: CandidateType | undefined, remote: CandidateType | undefined): LinkPairType {
  if (local === 'relay' || remote === 'relay') return 'relay';
  if (local === 'host' && remote === 'host') return 'host';
  if (local === 'srflx' || local === 'prflx' || remote === 'srflx' || remote === 'prflx') return 'srflx';
  return 'unknown';
}

/**
 * Connectivity learnt per visitor network (networkKey(): /24, /48 or `local`):
 * attempts and successes from `link` reports, with exponential decay
 * (LINK_HALF_LIFE_MS), in an LRU of MAX_NETWORKS networks. A network with at
 * least HTTP_MIN_ATTEMPTS attempts and a success share under HTTP_SUCCESS_FLOOR
 * is marked `http`, so its visitors never wait for a peer; it is unmarked by
 * HTTP_RECOVER_SHARE or once the evidence decays below HTTP_RETRY_ATTEMPTS.
 * Counts are decayed lazily, when a network is read or written.
 */
export class NetworkConnectivity implements ConnectivityLog {
  private readonly networks: LRUCache<string, NetworkRecord>;
  /** Keys of networks marked `http` (re-checked on read, since decay alone can unmark them). */
  private readonly marked = new Set<string>();
  private readonly now: () => number;

  constructor(options: NetworkConnectivityOptions = {}) {
    this.now = options.now ?? Date.now;
    this.networks = new LRUCache({
      max: options.maxNetworks ?? MAX_NETWORKS,
      dispose: (_record, network) => {
        this.marked.delete(network);
      },
    });
  }

  record(network: string, outcome: LinkOutcome): void {
    const now = this.now();
    let record = this.networks.get(network);
    if (!record) {
      record = { at: now, attempts: 0, successes: 0, pairs: { host: 0, srflx: 0, relay: 0, unknown: 0 }, http: false };
      this.networks.set(network, record);
    }
    decay(record, now);
    record.attempts++;
    if (outcome.ok) {
      record.successes++;
      record.pairs[pairType(outcome.local, outcome.remote)]++;
    }
    this.judge(network, record);
  }

  mode(network: string): NetworkMode {
    const record = this.networks.get(network);
    if (!record?.http) return 'peer';
    decay(record, this.now());
    this.judge(network, record);
    return record.http ? 'http' : 'peer';
  }

  httpNetworks(): number {
    const now = this.now();
    for (const network of [...this.marked]) {
      const record = this.networks.peek(network);
      if (!record) {
        this.marked.delete(network);
        continue;
      }
      decay(record, now);
      this.judge(network, record);
    }
    return this.marked.size;
  }

  /** O(networks): for the admin `/stats`, not for hot paths. */
  stats(top = TOP_NETWORKS): ConnectivityStats {
    const now = this.now();
    const best: NetworkFigures[] = [];
    const httpNetworks = this.httpNetworks();
    if (top > 0) {
      for (const [network, record] of this.networks.entries()) {
        const attempts = decayed(record.attempts, record.at, now);
        if (best.length === top && attempts <= (best[best.length - 1] as NetworkFigures).attempts) continue;
        const factor = record.attempts > 0 ? attempts / record.attempts : 0;
        const pairs = {} as Record<LinkPairType, number>;
        for (const type of PAIR_TYPES) pairs[type] = tenth(record.pairs[type] * factor);
        best.push({ network, attempts: tenth(attempts), successes: tenth(record.successes * factor), pairs, mode: record.http ? 'http' : 'peer' });
        best.sort((a, b) => b.attempts - a.attempts);
        if (best.length > top) best.pop();
      }
    }
    return { networks: this.networks.size, httpNetworks, top: best };
  }

  /**
   * Marks or unmarks the network from its (already decayed) counts. Attempts are
   * compared at the precision stats() shows, so a burst of HTTP_MIN_ATTEMPTS
   * reports counts as that many although the first ones decayed a little.
   */
  private judge(network: string, record: NetworkRecord): void {
    const attempts = tenth(record.attempts);
    const share = record.attempts > 0 ? record.successes / record.attempts : 1;
    if (record.http) {
      if (attempts < HTTP_RETRY_ATTEMPTS || share >= HTTP_RECOVER_SHARE) {
        record.http = false;
        this.marked.delete(network);
      }
    } else if (attempts >= HTTP_MIN_ATTEMPTS && share < HTTP_SUCCESS_FLOOR) {
      record.http = true;
      this.marked.add(network);
    }
  }
}

function decayed(value: number, since: number, now: number): number {
  const elapsed = Math.max(0, now - since);
  return elapsed === 0 ? value : value * 2 ** (-elapsed / LINK_HALF_LIFE_MS);
}

/** Brings every count of the record forward to `now`. */
function decay(record: NetworkRecord, now: number): void {
  if (now <= record.at) return;
  const factor = decayed(1, record.at, now);
  record.attempts *= factor;
  record.successes *= factor;
  for (const type of PAIR_TYPES) record.pairs[type] *= factor;
  record.at = now;
}

function tenth(n: number): number {
  return Math.round(n * 10) / 10;
}
