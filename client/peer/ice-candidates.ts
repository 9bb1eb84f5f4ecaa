import { CANDIDATE_TYPES, type CandidateType } from '../../protocol/signal-messages.js';

/** The fields of an `a=candidate` line this client looks at. */
export interface CandidateInfo {
  protocol: string;
  address: string;
  port: number;
  type: CandidateType;
  /** Base address and port (`raddr`/`rport`); browsers hiding local addresses send 0.0.0.0 / 0. */
  raddr?: string;
  rport?: number;
}

function asType(value: unknown): CandidateType | undefined {
  return CANDIDATE_TYPES.includes(value as CandidateType) ? value as CandidateType : undefined;
}

/**
 * Parses `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> [raddr <a> rport <p>] …`
 * (RFC 8839), with or without the `a=` prefix; undefined for anything else.
 */
export function parseCandidate(line: string): CandidateInfo | undefined {
  const f = line.replace(/^a=/, '').trim().split(/\s+/);
  const field = (name: string): string | undefined => {
    const i = f.indexOf(name, 6);
    return i > 0 ? f[i + 1] : undefined;
  };
  const type = asType(field('typ'));
  const port = Number(f[5]);
  if (!f[0]?.startsWith('candidate:') || !type || !f[4] || !Number.isInteger(port)) return undefined;
  const raddr = field('raddr');
  const rport = Number(field('rport'));
  return {
    protocol: (f[2] ?? '').toLowerCase(), address: f[4], port, type,
    ...(raddr ? { raddr } : {}), ...(Number.isInteger(rport) ? { rport } : {}),
  };
}

/** Candidate types of the pair the ICE agent selected, from `getStats()`. */
export interface SelectedPair {
  local?: CandidateType;
  remote?: CandidateType;
}

type StatsEntry = Record<string, unknown>;

/**
 * The selected candidate pair in a getStats() report: the one the transport
 * names (`selectedCandidatePairId`, Chromium), else a pair flagged `selected`
 * (Firefox), else a nominated pair whose checks succeeded. Its local and remote
 * candidate types come from the `local-candidate`/`remote-candidate` entries.
 */
export function selectedPair(stats: ReadonlyMap<string, unknown>): SelectedPair {
  const entries = [...stats.values()] as StatsEntry[];
  const named = entries.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')?.selectedCandidatePairId;
  const pair = (named !== undefined ? stats.get(named as string) as StatsEntry | undefined : undefined)
    ?? entries.find((s) => s.type === 'candidate-pair' && s.selected === true)
    ?? entries.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
  if (!pair) return {};
  const typeOf = (id: unknown): CandidateType | undefined => asType((stats.get(id as string) as StatsEntry | undefined)?.candidateType);
  const local = typeOf(pair.localCandidateId);
  const remote = typeOf(pair.remoteCandidateId);
  return { ...(local ? { local } : {}), ...(remote ? { remote } : {}) };
}
