import { BlockList, isIP } from 'node:net';
import { normalizeAddress } from '../../core/utils/ip-address.js';

/**
 * Addresses that never route across the internet. Two peers both inside these
 * ranges are treated as "same network": they sit behind the same NAT, on the same
 * LAN, or on this machine (tests), so a direct WebRTC path is the likeliest.
 */
const LOCAL_RANGES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16],
  // Not the benchmarking range 198.18.0.0/15 (RFC 2544): it never reaches the
  // internet either, but the test suite's emulated internet gives homes and the
  // public segment addresses there, and they must pair and be judged as the
  // distinct public networks they stand for.
] as const) {
  LOCAL_RANGES.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::1', 128], ['::', 128], ['fc00::', 7], ['fe80::', 10]] as const) {
  LOCAL_RANGES.addSubnet(network, prefix, 'ipv6');
}

/** The key every private, loopback or link-local address shares. */
export const LOCAL_NETWORK = 'local';

export function isLocalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return LOCAL_RANGES.check(address, 'ipv4');
  if (family === 6) return LOCAL_RANGES.check(address, 'ipv6');
  return false;
}

/**
 * Network of an address for "same subnet" pairing: the /24 of an IPv4 address,
 * the /48 of an IPv6 one (a typical site allocation), or LOCAL_NETWORK for
 * non-routable addresses. Unparseable input gets a key of its own.
 */
export function networkKey(raw: string): string {
  // An IPv4-mapped IPv6 address is its IPv4 address (else every one would share ::ffff's /48).
  const address = normalizeAddress(raw);
  const family = isIP(address);
  if (family === 0) return `invalid:${address.slice(0, 64)}`;
  if (isLocalAddress(address)) return LOCAL_NETWORK;
  if (family === 4) return address.split('.').slice(0, 3).join('.') + '.0/24';
  return expandIpv6(address).slice(0, 3).join(':') + '::/48';
}

/** Eight 4-digit hextets; handles `::` and an embedded IPv4 tail. */
export function expandIpv6(address: string): string[] {
  let text = address.toLowerCase().split('%')[0] as string;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -(v4[1] as string).length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailParts];
  return parts.map((part) => part.padStart(4, '0'));
}
