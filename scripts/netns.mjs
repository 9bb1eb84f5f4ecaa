// Re-executes the current script inside a private network namespace: loopback plus
// one veth with a test address (198.18.0.1, the benchmarking range) and a default
// route, so that Chromium and node-datachannel gather a host candidate while
// nothing ever leaves the namespace. Needs root (unshare) and iproute2.
//
// It is a private mount namespace too, with its own tmpfs on /run/netns: tests that
// build an emulated internet (test/net/) make named namespaces (`ip netns add`, bind
// mounts under /run/netns); these then never show on the host, and whatever a killed
// test leaves behind vanishes with the runner.
import { spawnSync } from 'node:child_process';

export const NAMESPACE_MARK = 'PEERCONNECT_TEST_NETNS';
export const NAMESPACE_ADDRESS = '198.18.0.1';

/** Returns when already inside; otherwise runs this script again inside and exits with its status. */
export function ensureNamespace() {
  if (process.env[NAMESPACE_MARK] === '1') return;
  const setup = [
    'set -e',
    'mkdir -p /run/netns',
    'mount -t tmpfs -o size=1m,mode=0755 peerconnect-netns /run/netns',
    'ip link set lo up',
    'ip link add pc-v0 type veth peer name pc-v1',
    `ip addr add ${NAMESPACE_ADDRESS}/24 dev pc-v0`,
    'ip link set pc-v0 up',
    'ip link set pc-v1 up',
    'ip route add default via 198.18.0.254 dev pc-v0',
    `exec env ${NAMESPACE_MARK}=1 "$0" "$@"`,
  ].join('; ');
  const result = spawnSync('unshare', ['-n', '-m', '--propagation', 'private', 'bash', '-c', setup, process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  if (result.error) {
    console.error(`cannot create a network namespace (${result.error.message}); run as root on Linux with unshare and iproute2 (npm run test:setup)`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
}
