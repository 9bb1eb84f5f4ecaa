import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { normalizeAddress } from '../../core/utils/ip-address.js';

/** A set of proxy addresses (TRUST_PROXY), matched with node's BlockList. */
export class TrustedProxies {
  readonly size: number;
  private readonly list = new BlockList();

  constructor(entries: Iterable<string>) {
    let size = 0;
    for (const entry of entries) {
      size++;
      if (entry === 'loopback') {
        this.list.addSubnet('127.0.0.0', 8, 'ipv4');
        this.list.addAddress('::1', 'ipv6');
        continue;
      }
      const [base = '', bits] = entry.split('/');
      const family = isIP(base) === 6 ? 'ipv6' : 'ipv4';
      const address = normalizeAddress(base);
      if (bits === undefined) this.list.addAddress(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
      else this.list.addSubnet(base, Number(bits), family);
    }
    this.size = size;
  }

  has(address: string): boolean {
    const normal = normalizeAddress(address);
    const family = isIP(normal);
    if (family === 0) return false;
    return this.list.check(normal, family === 6 ? 'ipv6' : 'ipv4');
  }
}

const fromSets = new WeakMap<ReadonlySet<string>, TrustedProxies>();

/** Callers that still hold TRUST_PROXY as a Set of strings get the same matching (CIDRs, loopback). */
function asTrusted(trusted: ReadonlySet<string> | TrustedProxies): TrustedProxies {
  if (trusted instanceof TrustedProxies) return trusted;
  let converted = fromSets.get(trusted);
  if (!converted) {
    converted = new TrustedProxies(trusted);
    fromSets.set(trusted, converted);
  }
  return converted;
}

/**
 * The visitor's address. X-Forwarded-For is believed only when the direct peer is
 * a trusted proxy, and then only up to the first untrusted hop (right to left).
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string> | TrustedProxies): string {
  const trusted = asTrusted(trustedProxies);
  let address = normalizeAddress(req.socket.remoteAddress ?? '0.0.0.0');
  if (trusted.size === 0 || !trusted.has(address)) return address;
  const header = req.headers['x-forwarded-for'];
  const hops = [header ?? []].flat().join(',').split(',').map((hop) => hop.trim()).filter((hop) => isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    address = normalizeAddress(hops[i] as string);
    if (!trusted.has(address)) return address;
  }
  return address;
}

const PRIVATE_OR_LOOPBACK = (() => {
  const list = new BlockList();
  for (const [net, bits] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['100.64.0.0', 10], ['169.254.0.0', 16]] as const) list.addSubnet(net, bits, 'ipv4');
  list.addAddress('::1', 'ipv6');
  list.addSubnet('fc00::', 7, 'ipv6');
  list.addSubnet('fe80::', 10, 'ipv6');
  return list;
})();

/** Loopback or a private network: where a same-host or in-cluster proxy connects from. */
export function isPrivateOrLoopback(address: string): boolean {
  const normal = normalizeAddress(address);
  const family = isIP(normal);
  return family !== 0 && PRIVATE_OR_LOOPBACK.check(normal, family === 6 ? 'ipv6' : 'ipv4');
}
