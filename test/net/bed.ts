import { ipIn } from './command.js';
import { createNamespace, deleteNamespace, uniquePrefix } from './namespaces.js';
import { spawnInNamespace, type TestProcess } from './processes.js';
import { configureRouter, setNatKind, type NatKind } from './router.js';
import { createWanLink, serverUplinkBytes, shapeServerUplink, type ServerUplinkOptions, type WanOptions } from './wan.js';

/*
 * An emulated internet, all in 198.18.0.0/15 and in namespaces of this bed only:
 *
 *   pub   br0 198.18.0.1/16  (proxy, origin, coturn; default route to a fake next hop)
 *    ├── up1 ══ wan 198.18.11.2  router 1  lan 198.19.1.1/24 ── 198.19.1.2, .3 … (hosts)
 *    └── up2 ══ wan 198.18.12.2  router 2  lan 198.19.2.1/24 ── 198.19.2.2 …
 *
 * With `serverUplink`, what pub's own programs send leaves br0 through one shared
 * rate limit (the server's uplink); each home's link (`wan`) is shaped on its own.
 *
 * Each router's public address sits in a /24 of its own, as homes on the internet
 * do: the proxy keys pairing and connectivity learning on the visitor's /24.
 *
 * Beds never share a namespace or a link, so two beds (in one file or in two test
 * files) reuse the same addresses without meeting.
 */

export const PUB_ADDRESS = '198.18.0.1';
const PUB_PREFIX = 16;
/** Next hop of pub's default route: a permanent neighbour entry that answers nothing. */
const FAKE_NEXT_HOP = '198.18.0.254';
const FAKE_NEXT_HOP_MAC = '02:00:00:00:00:fe';
const MAX_HOMES = 200;
const MAX_HOSTS_PER_HOME = 200;

export interface HomeOptions {
  /** NAT kind of the home's router (`setNat` changes it later). */
  nat: NatKind;
  /** LAN hosts behind the router, each its own namespace. @default 1 */
  hosts?: number;
  /** The router's uplink: delay, loss, rate. @default an ideal link (veth) */
  wan?: WanOptions;
}

export interface NetBedOptions {
  homes: HomeOptions[];
  /**
   * One uplink of the server side shared by every visitor: pub's own programs
   * (proxy, origin behind it, seeder) send to all homes through this rate limit
   * (coturn excepted, see wan.ts). @default none: each home's link is the only limit
   */
  serverUplink?: ServerUplinkOptions;
}

export interface Host {
  /** Network namespace to run the host's programs in. */
  ns: string;
  address: string;
}

export interface Home {
  /** 1-based, as in the addresses. */
  index: number;
  router: string;
  /** The router's public address: what STUN reports for its hosts. */
  wanAddress: string;
  lanSubnet: string;
  hosts: Host[];
  nat: NatKind;
}

export class NetBed {
  readonly prefix: string;
  /** Namespace of the public segment (its bridge is `br0`). */
  readonly pub: string;
  readonly pubAddress = PUB_ADDRESS;
  readonly homes: Home[] = [];
  /** The shared server uplink, when the bed has one. */
  serverUplink: ServerUplinkOptions | undefined;
  readonly #namespaces: string[] = [];
  readonly #processes: TestProcess[] = [];
  #closed = false;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.pub = `${prefix}-pub`;
  }

  /** Creates a namespace owned by this bed (deleted by `close()`). */
  async addNamespace(name: string): Promise<void> {
    this.#namespaces.push(name);
    await createNamespace(name);
  }

  /** Keeps `child` to be stopped by `close()`. */
  adopt(child: TestProcess): TestProcess {
    this.#processes.push(child);
    return child;
  }

  /** Starts a long-running program inside `ns` (e.g. `bed.pub`), `env` added to ours; stopped by `close()`. */
  spawn(name: string, ns: string, file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): TestProcess {
    return this.adopt(spawnInNamespace(name, ns, file, args, env));
  }

  /** Bytes pub's programs sent through the shared server uplink (`shaped`) and coturn past it; zeros without one. */
  async serverUplinkBytes(): Promise<{ shaped: number; unshaped: number }> {
    return this.serverUplink ? serverUplinkBytes(this.pub, 'br0') : { shaped: 0, unshaped: 0 };
  }

  /** Switches a home's NAT kind; existing mappings are flushed. */
  async setNat(home: Home, nat: NatKind): Promise<void> {
    await setNatKind(home.router, nat);
    home.nat = nat;
  }

  /** Stops every process, then deletes every namespace; idempotent, never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#processes.map((child) => child.stop()));
    for (const ns of this.#namespaces.reverse()) await deleteNamespace(ns).catch(() => undefined);
  }
}

/** Builds a bed; on any failure it tears down what it made and rethrows. */
export async function createNetBed(options: NetBedOptions): Promise<NetBed> {
  if (options.homes.length < 1 || options.homes.length > MAX_HOMES) throw new RangeError(`homes: 1 to ${MAX_HOMES} expected, got ${options.homes.length}`);
  const bed = new NetBed(uniquePrefix());
  try {
    await createPub(bed);
    if (options.serverUplink) {
      await shapeServerUplink(bed.pub, 'br0', options.serverUplink);
      bed.serverUplink = options.serverUplink;
    }
    for (const [i, home] of options.homes.entries()) bed.homes.push(await createHome(bed, i + 1, home));
    return bed;
  } catch (error) {
    await bed.close();
    throw error;
  }
}

async function createPub(bed: NetBed): Promise<void> {
  await bed.addNamespace(bed.pub);
  await ipIn(bed.pub, 'link', 'add', 'br0', 'type', 'bridge');
  await ipIn(bed.pub, 'addr', 'add', `${PUB_ADDRESS}/${PUB_PREFIX}`, 'dev', 'br0');
  await ipIn(bed.pub, 'link', 'set', 'br0', 'up');
  // "The rest of the internet": packets to unroutable addresses (home LANs) vanish
  // silently, as they would out there, instead of failing sendto() with ENETUNREACH,
  // which makes coturn tear down the whole allocation.
  await ipIn(bed.pub, 'neigh', 'add', FAKE_NEXT_HOP, 'lladdr', FAKE_NEXT_HOP_MAC, 'dev', 'br0', 'nud', 'permanent');
  await ipIn(bed.pub, 'route', 'add', 'default', 'via', FAKE_NEXT_HOP);
}

async function createHome(bed: NetBed, index: number, options: HomeOptions): Promise<Home> {
  const hostCount = options.hosts ?? 1;
  if (hostCount < 1 || hostCount > MAX_HOSTS_PER_HOME) throw new RangeError(`hosts: 1 to ${MAX_HOSTS_PER_HOME} expected, got ${hostCount}`);
  const router = `${bed.prefix}-r${index}`;
  const uplink = `up${index}`;
  const home: Home = {
    index,
    router,
    wanAddress: `198.18.${10 + index}.2`,
    lanSubnet: `198.19.${index}.0/24`,
    hosts: [],
    nat: options.nat,
  };
  await bed.addNamespace(router);
  const wire = await createWanLink(router, bed.pub, uplink, options.wan ?? {});
  if (wire) bed.adopt(wire);
  await ipIn(bed.pub, 'link', 'set', uplink, 'master', 'br0', 'up');
  await ipIn(router, 'addr', 'add', `${home.wanAddress}/${PUB_PREFIX}`, 'dev', 'wan');
  await ipIn(router, 'link', 'set', 'wan', 'up');
  await ipIn(router, 'link', 'add', 'lan', 'type', 'bridge');
  await ipIn(router, 'addr', 'add', `198.19.${index}.1/24`, 'dev', 'lan');
  await ipIn(router, 'link', 'set', 'lan', 'up');
  // The router's own default route, like an ISP's: anything off the segment goes to
  // the same silent next hop as pub's, never back to the LAN as "unreachable".
  await ipIn(router, 'neigh', 'add', FAKE_NEXT_HOP, 'lladdr', FAKE_NEXT_HOP_MAC, 'dev', 'wan', 'nud', 'permanent');
  await ipIn(router, 'route', 'add', 'default', 'via', FAKE_NEXT_HOP);
  await configureRouter(router, options.nat);
  for (let j = 0; j < hostCount; j++) {
    const host: Host = { ns: `${bed.prefix}-h${index}-${j + 1}`, address: `198.19.${index}.${2 + j}` };
    const port = `port${j + 1}`;
    await bed.addNamespace(host.ns);
    await ipIn(router, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns);
    await ipIn(router, 'link', 'set', port, 'master', 'lan', 'up');
    await ipIn(host.ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
    await ipIn(host.ns, 'link', 'set', 'eth0', 'up');
    await ipIn(host.ns, 'route', 'add', 'default', 'via', `198.19.${index}.1`);
    home.hosts.push(host);
  }
  return home;
}
