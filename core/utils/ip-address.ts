import { isIP } from 'node:net';

/** Strip the IPv4-mapped IPv6 prefix so 127.0.0.1 is 127.0.0.1 everywhere. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
