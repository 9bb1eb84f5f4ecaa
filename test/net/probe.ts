import { runIn } from './command.js';
import type { NetBed } from './bed.js';
import type { TestProcess } from './processes.js';

/** A TCP connect that gets no answer counts as "not reached" after this long. */
export const PROBE_TIMEOUT_MS = 1_500;
const LISTEN_TIMEOUT_MS = 10_000;

// Answers each connection with the peer address it sees: behind a NAT, a home host
// shows up as its router's WAN address.
const ECHO_ADDRESS_SERVER = `
const server = require('node:net').createServer((socket) => socket.end(socket.remoteAddress));
server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
`;

const CONNECT = `
const [host, port, ms] = process.argv.slice(1);
const socket = require('node:net').connect(Number(port), host);
let seen = '';
socket.setTimeout(Number(ms), () => { console.log('unreached'); process.exit(0); });
socket.on('data', (chunk) => { seen += chunk; });
socket.on('end', () => { console.log('seen ' + seen); process.exit(0); });
socket.on('error', (error) => { console.log('unreached ' + error.code); process.exit(0); });
`;

/** Starts a TCP server in `ns` that tells each client its address as seen from there. */
export async function startAddressEcho(bed: NetBed, ns: string, port: number): Promise<TestProcess> {
  const server = bed.spawn(`address echo in ${ns}`, ns, process.execPath, ['-e', ECHO_ADDRESS_SERVER, String(port)]);
  await server.waitForOutput(/^listening$/m, LISTEN_TIMEOUT_MS);
  return server;
}

/**
 * Connects from namespace `ns` to `address:port`; resolves with the address the
 * server saw, or null when nothing answered within `PROBE_TIMEOUT_MS` (or it was refused).
 */
export async function probeTcp(ns: string, address: string, port: number): Promise<string | null> {
  const out = await runIn(ns, process.execPath, ['-e', CONNECT, address, String(port), String(PROBE_TIMEOUT_MS)], PROBE_TIMEOUT_MS + LISTEN_TIMEOUT_MS);
  const seen = /^seen (.+)$/m.exec(out);
  return seen?.[1] ?? null;
}
