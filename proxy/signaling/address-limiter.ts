/**
 * Concurrent connections per client address, shared by the signaling and tracker
 * sockets so one address cannot hold more than `maxPerAddress` of either kind.
 */
export class AddressLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {}

  /** Reserves a slot; returns a release function (idempotent), or undefined when full. */
  acquire(address: string): (() => void) | undefined {
    const count = this.counts.get(address) ?? 0;
    if (count >= this.maxPerAddress) return undefined;
    this.counts.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left <= 0) this.counts.delete(address);
      else this.counts.set(address, left);
    };
  }

  get addresses(): number {
    return this.counts.size;
  }
}
