#!/usr/bin/env node
// Installs the Debian packages the tests drive for real: Chromium and Firefox ESR
// (E2E; Firefox is driven over WebDriver BiDi by puppeteer-core), nginx (a
// legacy origin), iproute2 + unshare (test network namespaces), and for the emulated
// internet of test/net/: coturn (STUN/TURN), iptables + conntrack (NAT routers) and
// python3 (the WAN delay wire); pebble, the ACME test server the certificate tests
// order from (it also ships pebble-challtestsrv); redis-server, the shared registry of
// the multi-instance tests (they start their own on a free loopback port, so a
// Debian service on 6379, if the package starts one, is never used); wrk, the load
// generator the proxy and rewrite benchmarks prefer (written in C, so on a 2-core
// machine the servers, not the generator, are what saturates; autocannon otherwise).
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needed = [
  ['chromium', '/usr/bin/chromium'],
  ['firefox-esr', '/usr/bin/firefox-esr'],
  ['nginx', '/usr/sbin/nginx'],
  ['iproute2', '/usr/sbin/ip'],
  ['util-linux', '/usr/bin/unshare'],
  ['coturn', '/usr/bin/turnserver'],
  ['iptables', '/usr/sbin/iptables'],
  ['conntrack', '/usr/sbin/conntrack'],
  ['python3', '/usr/bin/python3'],
  ['pebble', '/usr/bin/pebble'],
  ['redis-server', '/usr/bin/redis-server'],
  ['wrk', '/usr/bin/wrk'],
];
const missing = needed.filter(([, path]) => !existsSync(path)).map(([name]) => name);
if (missing.length === 0) {
  console.log(`test-setup: ${needed.map(([name]) => name).join(', ')} already installed`);
  process.exit(0);
}
const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
console.log(`test-setup: installing ${missing.join(' ')}`);
execSync(`${sudo}apt-get update -qq`, { stdio: 'inherit' });
execSync(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`, { stdio: 'inherit' });
