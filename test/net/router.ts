import { run, runIn } from './command.js';

/**
 * How a home router maps its LAN hosts to its WAN address.
 * - `endpoint-independent`: plain MASQUERADE keeps the source port, so one mapping
 *   serves every destination and STUN-learnt (srflx) candidates work for hole punching.
 * - `symmetric`: MASQUERADE --random-fully picks a new port per destination, so the
 *   mapping STUN saw is useless to peers; only TURN gets through.
 */
export type NatKind = 'endpoint-independent' | 'symmetric';

export const HOME_LAN_RANGE = '198.19.0.0/16';

/**
 * Makes namespace `ns` a stateful home router between `wan` and `lan`: forwarding on,
 * nothing unsolicited from the WAN, and NAT of kind `nat`.
 */
export async function configureRouter(ns: string, nat: NatKind): Promise<void> {
  const iptables = (...args: string[]): Promise<string> => runIn(ns, 'iptables', ['-w', ...args]);
  await runIn(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  await iptables('-P', 'FORWARD', 'DROP');
  await iptables('-A', 'FORWARD', '-i', 'lan', '-o', 'wan', '-j', 'ACCEPT');
  // Host to host on the LAN bridge: where br_netfilter is loaded (Docker hosts, this
  // kind of machine) bridged frames pass the FORWARD chain too, and its DROP policy
  // would cut the LAN in pieces.
  await iptables('-A', 'FORWARD', '-i', 'lan', '-o', 'lan', '-j', 'ACCEPT');
  await iptables('-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
  // Unsolicited traffic to the router itself must be dropped before conntrack confirms
  // it: an unconfirmed entry is discarded, a confirmed one would take the port a LAN
  // host's mapping needs and break hole punching.
  await iptables('-A', 'INPUT', '-i', 'wan', '!', '-p', 'icmp', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP');
  await setNatKind(ns, nat);
}

/** Replaces the router's NAT rule; flushes conntrack, whose entries would keep the old mappings. */
export async function setNatKind(ns: string, nat: NatKind): Promise<void> {
  await runIn(ns, 'iptables', ['-w', '-t', 'nat', '-F', 'POSTROUTING']);
  await runIn(ns, 'iptables', [
    '-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', HOME_LAN_RANGE, '-o', 'wan', '-j', 'MASQUERADE',
    ...(nat === 'symmetric' ? ['--random-fully'] : []),
  ]);
  // conntrack -F exits non-zero on an empty table with some versions; the flush still happened.
  await run('ip', ['netns', 'exec', ns, 'conntrack', '-F']).catch(() => undefined);
}
