import type { IceServer, NatKind } from '../../protocol/signal-messages.js';
import { parseCandidate, type CandidateInfo } from './ice-candidates.js';

/** The probe gathers candidates for at most this long, then classifies what it has. */
export const NAT_PROBE_MS = 4_000;

/**
 * STUN URLs to probe with: the `stun:` entries as given, plus each UDP `turn:`
 * server asked as a plain STUN server (TURN servers answer Binding requests;
 * no allocation, so no credentials are spent). One URL per host:port.
 */
export function stunUrls(servers: readonly IceServer[]): string[] {
  const out = new Set<string>();
  for (const server of servers) {
    for (const url of [server.urls].flat()) {
      const m = /^(stun|turn):([^?]+)(\?transport=(\w+))?$/i.exec(url.trim());
      if (!m || (m[4] && m[4].toLowerCase() !== 'udp')) continue;
      out.add(`stun:${m[2]}`);
    }
  }
  return [...out];
}

/**
 * Classifies a NAT from the candidate lines one gathering produced against
 * `servers` distinct STUN servers (or ports):
 * - `open`: a server-reflexive address is one of our own (a host candidate's, or its base's);
 * - `symmetric`: one local base got two different public mappings (browsers keep
 *   one srflx candidate per distinct public address, so a cone NAT shows one);
 * - `cone`: a mapping, and nothing says it changes per destination;
 * - `unknown`: no mapping at all (no STUN reply within the probe time, UDP blocked).
 * With one server only one mapping can be seen, so the answer is never
 * `symmetric`: a symmetric NAT then reads as `cone`.
 * Browsers hiding local addresses give srflx candidates the base 0.0.0.0:0, so
 * every mapping then counts against one base: a host with two interfaces behind
 * two different ports of one NAT would read as symmetric.
 */
export function classifyNat(lines: readonly string[], servers: number): NatKind {
  const candidates = lines.map(parseCandidate).filter((c): c is CandidateInfo => c?.protocol === 'udp');
  const hosts = new Set(candidates.filter((c) => c.type === 'host').map((c) => c.address));
  const srflx = candidates.filter((c) => c.type === 'srflx');
  if (srflx.length === 0) return 'unknown';
  if (srflx.some((c) => hosts.has(c.address) || c.address === c.raddr)) return 'open';
  if (servers > 1) {
    const mappings = new Map<string, Set<string>>();
    for (const c of srflx) {
      const base = `${c.raddr ?? ''}:${c.rport ?? ''}`;
      const seen = mappings.get(base) ?? new Set<string>();
      seen.add(`${c.address}:${c.port}`);
      mappings.set(base, seen);
      if (seen.size > 1) return 'symmetric';
    }
  }
  return 'cone';
}

/**
 * Gathers candidates on a throw-away RTCPeerConnection against the STUN
 * servers among `servers` and classifies the NAT. Never rejects; bounded by `ms`.
 */
export async function probeNat(servers: readonly IceServer[], ms = NAT_PROBE_MS): Promise<NatKind> {
  const urls = stunUrls(servers);
  if (urls.length === 0) return 'unknown';
  const lines: string[] = [];
  let pc: RTCPeerConnection | undefined;
  try {
    pc = new RTCPeerConnection({ iceServers: urls.map((u) => ({ urls: u })) });
    const gathering = pc;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      gathering.onicecandidate = (event) => {
        if (event.candidate?.candidate) lines.push(event.candidate.candidate);
        else done();
      };
      gathering.createDataChannel('nat');
      gathering.createOffer().then((offer) => gathering.setLocalDescription(offer)).catch(done);
    });
  } catch {
    // no WebRTC after all: classify what there is
  } finally {
    pc?.close();
  }
  return classifyNat(lines, urls.length);
}
