import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipIn, runIn } from './command.js';
import { TestProcess } from './processes.js';

/** Emulated WAN link of a home (its router's uplink). */
export interface WanOptions {
  /** One-way delay added in each direction, in ms (user-space wire). @default 0 */
  delayMs?: number;
  /** Random loss in each direction, in percent (user-space wire). @default 0 */
  lossPercent?: number;
  /** Rate limit in each direction, as tc spells it (`'20mbit'`); none when unset. */
  rate?: string;
  /** Rate of the home's upload (router → pub) when it differs from `rate`. @default rate */
  uploadRate?: string;
  /**
   * tbf queue in ms of traffic at `rate`. A short queue (200 ms) froze data channels
   * after hundreds of drops; 1000 ms behaves like a home uplink's buffer.
   * @default 1000
   */
  queueMs?: number;
}

export const WAN_QUEUE_MS = 1_000;
/** The wire prints `ready` within ~100 ms; this bounds it on a loaded machine. */
const WIRE_READY_TIMEOUT_MS = 10_000;
const WIRE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'wire.py');

/**
 * Creates the link between `routerNs:wan` and `pubNs:pubIf`: a veth pair, or, when a
 * delay or loss is wanted (the kernel has no netem), two TAP devices joined by
 * wire.py. Returns the wire process, if any, for the caller to stop.
 */
export async function createWanLink(routerNs: string, pubNs: string, pubIf: string, options: WanOptions): Promise<TestProcess | undefined> {
  const delayMs = options.delayMs ?? 0;
  const lossPercent = options.lossPercent ?? 0;
  let wire: TestProcess | undefined;
  if (delayMs > 0 || lossPercent > 0) {
    wire = new TestProcess(`wire ${routerNs}`, 'python3', ['-u', WIRE_SCRIPT, `${routerNs}:wan`, `${pubNs}:${pubIf}`, String(delayMs), String(lossPercent)]);
    await wire.waitForOutput(/^ready$/m, WIRE_READY_TIMEOUT_MS);
  } else {
    await ipIn(routerNs, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', pubIf, 'netns', pubNs);
  }
  const queueMs = options.queueMs ?? WAN_QUEUE_MS;
  const upload = options.uploadRate ?? options.rate;
  if (upload !== undefined) await shape(routerNs, 'wan', upload, queueMs);
  if (options.rate !== undefined) await shape(pubNs, pubIf, options.rate, queueMs); // download
  return wire;
}

function shape(ns: string, dev: string, rate: string, queueMs: number): Promise<string> {
  return runIn(ns, 'tc', ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', rate, 'burst', '15k', 'latency', `${queueMs}ms`]);
}

/**
 * The server side's shared uplink: one rate limit on everything the public
 * segment's own programs send towards the homes (proxy pages, images it forwards
 * from the origin, signaling, the embedded seeder's data channels), shared by all
 * visitors as a server's uplink is. coturn stands for a TURN service elsewhere:
 * its packets (from port 3478 and from its relay ports) are not counted.
 */
export interface ServerUplinkOptions {
  /** As tc spells it (`'20mbit'`). */
  rate: string;
  /** FIFO in ms of traffic at `rate`. @default WAN_QUEUE_MS */
  queueMs?: number;
}

/** coturn's relay ports (coturn.ts: 49152–65535): the top quarter of the port space, one u32 mask. */
const RELAY_PORTS = { value: 0xc000, mask: 0xc000 } as const;
const TURN_LISTEN_PORT = 3478;
/** Local ports of pub's own programs stay below the relay ports, so the mask tells them apart. */
const PUB_LOCAL_PORTS = '32768 49151';
const SHAPED_CLASS = '1:10';
const UNSHAPED_CLASS = '1:20';
/** Above anything the bed can carry: the class that is not limited. */
const UNSHAPED_RATE = '10gbit';
/** HTB's per-round quantum (bytes): a few full frames, and no warning about r2q at these rates. */
const HTB_QUANTUM = 15_140;
/** A bridge has no transmit queue length; this bounds the unshaped FIFO instead. */
const UNSHAPED_FIFO_PACKETS = 10_000;

/** Bytes per second of a tc rate (`'20mbit'`, `'512kbit'`, `'1gbit'`, `'8000bit'`). */
export function rateBytesPerSecond(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/.exec(rate);
  if (!m) throw new RangeError(`serverUplink.rate: a tc rate such as '20mbit' expected, got '${rate}'`);
  const scale = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2] as 'bit' | 'kbit' | 'mbit' | 'gbit'];
  return (Number(m[1]) * scale) / 8;
}

/** Shapes what `ns`'s own programs send out of `dev` (the bridge) to `options.rate`, coturn excepted. */
export async function shapeServerUplink(ns: string, dev: string, options: ServerUplinkOptions): Promise<void> {
  const limitBytes = Math.max(64 * 1024, Math.round((rateBytesPerSecond(options.rate) * (options.queueMs ?? WAN_QUEUE_MS)) / 1000));
  const tc = (...args: string[]): Promise<string> => runIn(ns, 'tc', args);
  await runIn(ns, 'sysctl', ['-qw', `net.ipv4.ip_local_port_range=${PUB_LOCAL_PORTS}`]);
  await tc('qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', SHAPED_CLASS.split(':')[1]!);
  await tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', SHAPED_CLASS, 'htb', 'rate', options.rate, 'ceil', options.rate, 'quantum', String(HTB_QUANTUM));
  await tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', UNSHAPED_CLASS, 'htb', 'rate', UNSHAPED_RATE, 'quantum', String(HTB_QUANTUM));
  await tc('qdisc', 'add', 'dev', dev, 'parent', SHAPED_CLASS, 'handle', '10:', 'bfifo', 'limit', String(limitBytes));
  await tc('qdisc', 'add', 'dev', dev, 'parent', UNSHAPED_CLASS, 'handle', '20:', 'pfifo', 'limit', String(UNSHAPED_FIFO_PACKETS));
  await tc('filter', 'add', 'dev', dev, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'sport', String(TURN_LISTEN_PORT), '0xffff', 'flowid', UNSHAPED_CLASS);
  await tc('filter', 'add', 'dev', dev, 'parent', '1:', 'protocol', 'ip', 'prio', '2', 'u32', 'match', 'ip', 'protocol', '17', '0xff', 'match', 'ip', 'sport', String(RELAY_PORTS.value), `0x${RELAY_PORTS.mask.toString(16)}`, 'flowid', UNSHAPED_CLASS);
}

/** Bytes sent so far through the shared uplink (`shaped`) and past it (coturn), from tc's class counters. */
export async function serverUplinkBytes(ns: string, dev: string): Promise<{ shaped: number; unshaped: number }> {
  const out = await runIn(ns, 'tc', ['-s', 'class', 'show', 'dev', dev]);
  const sent = (classid: string): number => {
    const m = new RegExp(`class htb ${classid} [\\s\\S]*?Sent (\\d+) bytes`).exec(out);
    return m ? Number(m[1]) : 0;
  };
  return { shaped: sent(SHAPED_CLASS), unshaped: sent(UNSHAPED_CLASS) };
}
