import type { AssetId, PeerId } from '../../protocol/signal-messages.js';
import { mark } from '../utils/marks.js';

/** How long to wait for `holders` after a `want`. */
export const HOLDERS_TIMEOUT_MS = 1_500;
/**
 * `want`s made within this window share one message: signaling rate-limits
 * each socket, and retries of many images would otherwise each cost a message.
 */
export const WANT_BATCH_MS = 25;
/** Outstanding `want`s per page. */
const MAX_PENDING_WANTS = 512;
/**
 * How long an answer to an early `want` (sent for every parked asset at the
 * first welcome, before its image starts) stays usable: holders' free upload
 * slots change quickly, so an older answer is asked again.
 */
export const EARLY_ANSWER_FRESH_MS = 3_000;

/**
 * Turns `want` + `holders` into a promise per asset. Wants made in the same task
 * go out in one message; an unanswered want resolves to no holders.
 */
export class HolderDirectory {
  private readonly waiting = new Map<AssetId, ((peers: PeerId[]) => void)[]>();
  private batch: AssetId[] = [];
  private scheduled = false;
  /**
   * Assets asked for early, and their answers once in (each used by at most one
   * `holders()` call; `joined`: a call is already waiting on the answer).
   */
  private readonly early = new Map<AssetId, { peers?: PeerId[]; at: number; joined?: boolean }>();

  /** `onEarlyAnswer`: holders named for an early `want` (the client may start connecting at once). */
  constructor(private readonly sendWant: (assets: AssetId[]) => void, private readonly onEarlyAnswer?: (asset: AssetId, peers: PeerId[]) => void) {}

  /**
   * Asks now, in one message, for holders of every asset the page will load
   * from peers; `holders()` then uses the answer instead of a second round trip.
   */
  wantEarly(assets: AssetId[]): void {
    const fresh = [...new Set(assets)].filter((a) => !this.early.has(a)).slice(0, Math.max(0, MAX_PENDING_WANTS - this.early.size));
    const now = performance.now();
    for (const asset of fresh) this.early.set(asset, { at: now });
    for (const id of fresh) mark('want', id);
    if (fresh.length > 0) this.sendWant(fresh);
  }

  holders(asset: AssetId, timeoutMs = HOLDERS_TIMEOUT_MS): Promise<PeerId[]> {
    const early = this.early.get(asset);
    if (early?.peers && performance.now() - early.at <= EARLY_ANSWER_FRESH_MS) {
      const { peers } = early;
      this.early.delete(asset);
      if (peers.length > 0) return Promise.resolve(peers);
    }
    // The early want is still unanswered: its answer serves this call, not a second want.
    const joinEarly = early !== undefined && !early.peers && !early.joined && performance.now() - early.at <= EARLY_ANSWER_FRESH_MS;
    if (joinEarly) early.joined = true;
    return new Promise<PeerId[]>((resolve) => {
      if (this.waiting.size >= MAX_PENDING_WANTS && !this.waiting.has(asset)) return resolve([]);
      let done = false;
      const finish = (peers: PeerId[]): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(peers);
      };
      const timer = setTimeout(() => {
        const list = this.waiting.get(asset);
        if (list) {
          const i = list.indexOf(finish);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.waiting.delete(asset);
        }
        finish([]);
      }, timeoutMs);
      const list = this.waiting.get(asset);
      if (list) list.push(finish);
      else if (joinEarly) this.waiting.set(asset, [finish]);
      else {
        this.waiting.set(asset, [finish]);
        this.batch.push(asset);
        if (!this.scheduled) {
          this.scheduled = true;
          setTimeout(() => {
            this.scheduled = false;
            const assets = this.batch;
            this.batch = [];
            for (const id of assets) mark('want', id);
            this.sendWant(assets);
          }, WANT_BATCH_MS);
        }
      }
    });
  }

  /** Assets whose latest answer named nobody free but some holders uploading (bounded like the pending wants). */
  private readonly busy = new Set<AssetId>();

  /** True when the latest answer for `asset` said its holders were all uploading: a slot is worth waiting for. */
  holdersBusy(asset: AssetId): boolean {
    return this.busy.has(asset);
  }

  onHolders(asset: AssetId, peers: PeerId[], busy = 0): void {
    this.busy.delete(asset);
    if (!peers.length && busy && this.busy.size < MAX_PENDING_WANTS) this.busy.add(asset);
    const early = this.early.get(asset);
    if (early && !early.peers) {
      early.peers = peers;
      early.at = performance.now();
      mark('holders', asset);
      this.onEarlyAnswer?.(asset, peers);
      // The call waiting on it has used the answer.
      if (early.joined) this.early.delete(asset);
    }
    const list = this.waiting.get(asset);
    if (!list) return;
    this.waiting.delete(asset);
    mark('holders', asset);
    for (const finish of list) finish(peers);
  }

  /**
   * A new signaling session: ask again for every asset still waiting (the old
   * session's `want`s, or ones made while disconnected, will never be answered).
   */
  resend(): void {
    if (this.waiting.size > 0) this.sendWant([...this.waiting.keys()]);
  }

  /** Signaling is gone for good: nobody will answer. */
  failAll(): void {
    this.early.clear();
    this.busy.clear();
    for (const [asset, list] of [...this.waiting]) {
      this.waiting.delete(asset);
      for (const finish of list) finish([]);
    }
  }
}
