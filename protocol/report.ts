/**
 * `POST /__p2p/report` (sendBeacon, JSON body ≤ REPORT_MAX_BYTES): what one page
 * view loaded and from where. The server validates and bounds every field and
 * folds it into `/__p2p/stats` and `/__p2p/metrics`.
 */
import type { CandidateType } from './signal-messages.js';

export const REPORT_MAX_BYTES = 16 * 1024;
export const REPORT_MAX_ASSETS = 200;

export type ByteSource = 'peer' | 'seeder' | 'server' | 'webseed';
export type FallbackReason =
  | 'no-holder' | 'signaling-down' | 'ice-failed' | 'timeout' | 'hash-mismatch' | 'peer-closed'
  | 'peer-declined' | 'protocol-violation' | 'manifest-error' | 'unsupported' | 'opted-out' | 'client-error';

export interface AssetReport {
  /** Asset id. */
  id: string;
  source: ByteSource;
  bytes: number;
  /** Milliseconds from client start to the image being painted (images only). */
  ms?: number;
  fallback?: FallbackReason;
  /** With `ice-failed`: the ICE candidate types the failed link tried (gathered locally or received from the peer). */
  candidates?: CandidateType[];
  /** Set when the image was hedged (HTTP started too because its first peer byte was late): which leg completed first. */
  hedge?: 'peer' | 'http';
  /**
   * With `hedge`: bytes the HTTP leg fetched, when the client knows them (the
   * whole body when that leg completed; absent when it was cut off unread).
   */
  hedgeBytes?: number;
}

export interface ReportBody {
  v: 1;
  /** Page path (no query) for per-page figures. */
  page: string;
  assets: AssetReport[];
}
