import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';
import { isLocalAddress } from './network-key.js';

const MAX_CACHED_ADDRESSES = 50_000;

interface GeoIpLite {
  lookup(ip: string): { country: string } | null;
}

let database: GeoIpLite | undefined;

/**
 * geoip-lite reads its whole database (≈150 MB with city data) synchronously on
 * first require, so it is loaded only when geoLocate is on, once per process,
 * when signaling starts rather than on a visitor's first message.
 */
function load(): GeoIpLite {
  database ??= createRequire(import.meta.url)('geoip-lite') as GeoIpLite;
  return database;
}

/** Country of an address, from geoip-lite's bundled database (it has no ASN data). */
export class GeoLookup {
  private readonly cache = new LRUCache<string, string>({ max: MAX_CACHED_ADDRESSES });
  private readonly db: GeoIpLite;

  constructor() {
    this.db = load();
  }

  /** ISO country code, or undefined for private addresses and unknown ranges. */
  country(address: string): string | undefined {
    if (isLocalAddress(address)) return undefined;
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached === '' ? undefined : cached;
    let country = '';
    try {
      country = this.db.lookup(address)?.country ?? '';
    } catch {
      // A malformed address is simply not located.
    }
    this.cache.set(address, country);
    return country === '' ? undefined : country;
  }
}
