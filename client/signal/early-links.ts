import type { PeerId } from '../../protocol/signal-messages.js';
import type { PeerPool } from '../peer/peer-pool.js';

/** Links opened ahead of any request, on the first answers to the early `want`. */
export const MAX_EARLY_LINKS = 2;

/**
 * Opens a link to a holder named for the early `want` as soon as the answer is
 * in, so ICE runs while the images are still starting; at most
 * MAX_EARLY_LINKS links opened this way per page view.
 */
export class EarlyLinks {
  private opened = 0;

  constructor(
    private readonly pool: Pick<PeerPool, 'banned' | 'isUnreachable' | 'linkedPeers' | 'linkTo'>,
    private readonly isSeeder: (peer: PeerId) => boolean,
  ) {}

  /** Links this page opened early so far. */
  get count(): number {
    return this.opened;
  }

  /** Holders named for one asset (`self`: this visitor's own id): a browser first, else a seeder. */
  connect(peers: PeerId[], self: PeerId | undefined): void {
    if (this.opened >= MAX_EARLY_LINKS) return;
    const usable = peers.filter((p) => p !== self && !this.pool.banned.has(p) && !this.pool.isUnreachable(p));
    const peer = usable.find((p) => !this.isSeeder(p)) ?? usable[0];
    if (peer === undefined || this.pool.linkedPeers(true).includes(peer) || this.pool.linkedPeers().includes(peer)) return;
    // linkedPeers leaves out links whose pipeline is full: linkTo hands such a link back, and
    // only a link it opened just now (nothing asked of it yet) counts towards the limit.
    const link = this.pool.linkTo(peer);
    if (link && link.load === 0 && !link.isOpen) this.opened++;
  }
}
