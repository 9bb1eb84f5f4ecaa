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
