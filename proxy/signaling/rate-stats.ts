import { isClientMessageType, type ClientMessageType, type NatKind, type SignalErrorCode } from '../../protocol/signal-messages.js';
import type { LinkPairType } from '../../protocol/stats.js';
import type { Metrics } from '../../core/metrics.js';
import type { UpgradeRefusalReason } from './admission.js';

/** Messages/s is averaged over this window. */
export const RATE_WINDOW_MS = 5_000;

export interface SignalingServerStats {
  connections: number;
  messagesTotal: number;
  messagesPerSec: number;
  /** Refused connections by reason, and rejected messages by error code. */
  rejectedConnections: Record<string, number>;
  rejectedMessages: Partial<Record<SignalErrorCode, number>>;
  policyCloses: number;
  badPeerReports: number;
  /** `nat` reports by NAT kind, and accepted `link` reports by outcome (browsers only). */
  natReports: Partial<Record<NatKind, number>>;
  /** `stale`: about a peer this session was not paired with (e.g. from before a reconnect), dropped. */
  linkReports: { ok: number; failed: number; stale: number };
}

/** Metric label for a message type: junk from peers collapses into `invalid`, so it cannot grow the metric. */
export function messageTypeLabel(type: string): ClientMessageType | 'invalid' {
  return isClientMessageType(type) ? type : 'invalid';
}

/**
 * Counters of the `/signal` endpoint, for `stats()` and `/metrics`: messages
 * (total and a per-second rate over RATE_WINDOW_MS), refusals by reason, policy
 * closes, bad-peer reports, and NAT and link reports. Time is passed in so tests need no clock.
 */
export class SignalRateStats {
  private messagesTotal = 0;
  /** Message totals sampled once per tick; the oldest within the window is the rate's base. */
  private samples: { at: number; total: number }[] = [];
  private readonly rejectedConnections: Partial<Record<UpgradeRefusalReason, number>> = {};
  private readonly rejectedMessages: Partial<Record<SignalErrorCode, number>> = {};
  private policyCloses = 0;
  private badPeerReports = 0;
  private readonly natReports: Partial<Record<NatKind, number>> = {};
  private readonly linkReports = { ok: 0, failed: 0, stale: 0 };

  constructor(private readonly metrics: Metrics | undefined) {}

  /** A frame arrived, valid or not. */
  received(): void {
    this.messagesTotal++;
  }

  handled(type: ClientMessageType): void {
    this.metrics?.signalingMessages.inc({ type, result: 'ok' });
  }

  /** A message was refused; `type` is its message type when it parsed, else what went wrong (`flood`, `binary`, …). */
  rejected(reason: SignalErrorCode, type: string): void {
    this.rejectedMessages[reason] = (this.rejectedMessages[reason] ?? 0) + 1;
    this.metrics?.signalingMessages.inc({ type: messageTypeLabel(type), result: reason });
  }

  refused(reason: UpgradeRefusalReason): void {
    this.rejectedConnections[reason] = (this.rejectedConnections[reason] ?? 0) + 1;
  }

  policyClosed(): void {
    this.policyCloses++;
  }

  badPeerReported(): void {
    this.badPeerReports++;
  }

  natReported(nat: NatKind): void {
    this.natReports[nat] = (this.natReports[nat] ?? 0) + 1;
    this.metrics?.natReports.inc({ nat });
  }

  /** An accepted `link` report; `pair` is the selected pair's kind (only meaningful when ok). */
  staleLinkReported(): void {
    this.linkReports.stale++;
  }

  linkReported(ok: boolean, pair: LinkPairType): void {
    this.linkReports[ok ? 'ok' : 'failed']++;
    this.metrics?.linkAttempts.inc({ result: ok ? 'ok' : 'failed', pair: ok ? pair : 'none' });
  }

  /** Records the running total at `now` and forgets samples older than the window (keeping one). */
  sample(now: number): void {
    this.samples.push({ at: now, total: this.messagesTotal });
    while (this.samples.length > 1 && now - (this.samples[0] as { at: number }).at > RATE_WINDOW_MS) this.samples.shift();
  }

  /** Messages per second since the oldest sample in the window, one decimal; 0 before the first sample. */
  messagesPerSec(now: number): number {
    const first = this.samples[0];
    if (!first) return 0;
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? Math.round(((this.messagesTotal - first.total) / seconds) * 10) / 10 : 0;
  }

  snapshot(now: number, connections: number): SignalingServerStats {
    return {
      connections,
      messagesTotal: this.messagesTotal,
      messagesPerSec: this.messagesPerSec(now),
      rejectedConnections: { ...this.rejectedConnections },
      rejectedMessages: { ...this.rejectedMessages },
      policyCloses: this.policyCloses,
      badPeerReports: this.badPeerReports,
      natReports: { ...this.natReports },
      linkReports: { ...this.linkReports },
    };
  }
}
