/**
 * Figures other features contribute to `/stats` and `/metrics` (signaling: peers
 * and swarms; seeder: cache and uploads…). A feature registers a provider under a
 * name; a slow or failing provider is reported as unavailable, never fatal.
 */
export interface StatsProvider {
  stats(): unknown;
}

/** What signaling is expected to return; anything else it adds is passed through. */
export interface SignalingStats {
  peers: number;
  swarms: number;
}

/** A provider that does not answer within this is shown as unavailable. */
export const STATS_SOURCE_TIMEOUT_MS = 1_000;
const MAX_SOURCES = 16;

export class StatsSources {
  private readonly providers = new Map<string, StatsProvider>();

  /** Registers (or replaces) the provider named `name`, e.g. `signaling`. */
  set(name: string, provider: StatsProvider): this {
    if (!this.providers.has(name) && this.providers.size >= MAX_SOURCES) throw new RangeError('too many stats sources');
    this.providers.set(name, provider);
    return this;
  }

  has(name: string): boolean {
    return this.providers.has(name);
  }

  /** Every provider's figures by name; `{ error }` for one that threw or timed out. */
  async collect(): Promise<Record<string, unknown>> {
    const entries = await Promise.all([...this.providers].map(async ([name, provider]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const value = await Promise.race([
          Promise.resolve().then(() => provider.stats()),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), STATS_SOURCE_TIMEOUT_MS);
            timer.unref();
          }),
        ]);
        return [name, value] as const;
      } catch (err) {
        return [name, { error: (err as Error).message }] as const;
      } finally {
        clearTimeout(timer);
      }
    }));
    return Object.fromEntries(entries);
  }
}

/** Peers and swarms out of the signaling figures, when they are there and sane. */
export function peersAndSwarms(signaling: unknown): { peers: number | null; swarms: number | null } {
  const count = (n: unknown): number | null => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null);
  const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? v as Record<string, unknown> : {});
  const top = record(signaling);
  // The registry's figures may sit at the top level or under `registry`; open sockets stand in for peers.
  const registry = record(top.registry);
  return {
    peers: count(top.peers) ?? count(registry.peers) ?? count(top.connections),
    swarms: count(top.swarms) ?? count(registry.swarms),
  };
}
