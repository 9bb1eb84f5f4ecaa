import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { normalizeAddress } from '../../core/utils/ip-address.js';

/**
 * The visitor's address. X-Forwarded-For is believed only when the direct peer is
 * a listed trusted proxy, and then only up to the first untrusted hop (right to left).
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  let address = normalizeAddress(req.socket.remoteAddress ?? '0.0.0.0');
  if (trustedProxies.size === 0 || !trustedProxies.has(address)) return address;
  const header = req.headers['x-forwarded-for'];
  const hops = [header ?? []].flat().join(',').split(',').map((hop) => hop.trim()).filter((hop) => isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    address = normalizeAddress(hops[i] as string);
    if (!trustedProxies.has(address)) return address;
  }
  return address;
}
