/**
 * Which peer to ask next, by what this page measured on its links: round-trip
 * time (a request sent on an idle link until its header came back) and
 * throughput (bytes of completed transfers over the time they took). As in
 * p2p-media-loader 2.x, a peer is chosen by its measured download speed and a
 * peer not yet proven gets a fair guess rather than nothing: here the guess is
 * the median of this page's other links, so an untried holder is neither
 * preferred nor ruled out before it has moved a byte.
 *
 * Pure: times are passed in, nothing reads a clock or the network.
 */

/** Weight of a new sample in the moving averages (the rest is history). */
export const EWMA_WEIGHT = 0.3;
/**
 * Transfers smaller than this are not throughput samples: their time is mostly
 * the round trip, so they would make every link look slow.
 */
export const MIN_THROUGHPUT_SAMPLE_BYTES = 16 * 1024;
/** Throughput assumed while no link of this page has been measured: 0.5 MB/s, a home uplink's share. */
export const DEFAULT_BYTES_PER_MS = 500;
/** Round trip assumed while none has been measured. */
export const DEFAULT_RTT_MS = 100;
/** Time to open a new connection assumed while none has opened on this page (ICE, DTLS, SCTP over a WAN). */
export const DEFAULT_CONNECT_MS = 1_000;

/** Running measurements of one link. */
export class LinkMeter {
  rttMs: number | undefined;
  bytesPerMs: number | undefined;
  /** How long the link took to open (created → data channel open). */
  connectMs: number | undefined;

  /** A request sent on an idle link was answered (its header arrived) after `ms`. */
  noteRtt(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.rttMs = this.rttMs === undefined ? ms : this.rttMs + EWMA_WEIGHT * (ms - this.rttMs);
  }

  /** A transfer of `bytes` completed, its bytes flowing for `ms`. */
  noteTransfer(bytes: number, ms: number): void {
    if (bytes < MIN_THROUGHPUT_SAMPLE_BYTES || !Number.isFinite(ms) || ms <= 0) return;
    const rate = bytes / ms;
    this.bytesPerMs = this.bytesPerMs === undefined ? rate : this.bytesPerMs + EWMA_WEIGHT * (rate - this.bytesPerMs);
  }
}

/** What the scorer needs to know about one peer. */
export interface PeerStanding {
  /** Measurements of the link to it; undefined when there is none yet. */
  meter?: Pick<LinkMeter, 'rttMs' | 'bytesPerMs'>;
  /** True when its link's data channel is open (nothing to wait for before asking). */
  open: boolean;
  /** True when a link to it is being opened (part of the connect time is already spent). */
  opening?: boolean;
  /** Bytes requested on its link and not yet received: a new request waits for them. */
  queuedBytes: number;
}

/** Stand-ins for what was not measured yet. */
export interface Priors {
  rttMs: number;
  bytesPerMs: number;
  connectMs: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Priors from this page's measured links (their medians), else the defaults. */
export function priorsFrom(meters: readonly Pick<LinkMeter, 'rttMs' | 'bytesPerMs' | 'connectMs'>[]): Priors {
  const pick = (key: 'rttMs' | 'bytesPerMs' | 'connectMs'): number[] =>
    meters.map((m) => m[key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return {
    rttMs: median(pick('rttMs')) ?? DEFAULT_RTT_MS,
    bytesPerMs: median(pick('bytesPerMs')) ?? DEFAULT_BYTES_PER_MS,
    connectMs: median(pick('connectMs')) ?? DEFAULT_CONNECT_MS,
  };
}

/**
 * Expected milliseconds until an asset of `size` bytes asked of this peer now
 * has arrived: connect (unless open; half of it when already opening), one
 * round trip, then the bytes queued ahead of it and its own at the link's rate.
 */
export function expectedMs(standing: PeerStanding, size: number, priors: Priors): number {
  const rate = Math.max(1e-3, standing.meter?.bytesPerMs ?? priors.bytesPerMs);
  const rtt = standing.meter?.rttMs ?? priors.rttMs;
  const connect = standing.open ? 0 : standing.opening ? priors.connectMs / 2 : priors.connectMs;
  return connect + rtt + (Math.max(0, standing.queuedBytes) + Math.max(0, size)) / rate;
}

/**
 * `peers` fastest first by expected delivery of `size` bytes; ties keep the
 * order given (signaling's own ranking).
 */
export function rankPeers<P>(peers: readonly P[], standingOf: (peer: P) => PeerStanding, size: number, priors: Priors): P[] {
  return peers
    .map((peer, index) => ({ peer, index, ms: expectedMs(standingOf(peer), size, priors) }))
    .sort((a, b) => a.ms - b.ms || a.index - b.index)
    .map((e) => e.peer);
}
