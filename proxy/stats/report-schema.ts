import { z } from 'zod';
import { ASSET_ID_PATTERN } from '../../protocol/asset-id.js';
import { REPORT_MAX_ASSETS, type ByteSource, type FallbackReason, type ReportBody } from '../../protocol/report.js';
import type { CandidateType } from '../../protocol/signal-messages.js';

/** Every source and fallback reason the client may report, in a stable order. */
export const BYTE_SOURCES = ['peer', 'seeder', 'server', 'webseed'] as const satisfies readonly ByteSource[];
export const FALLBACK_REASONS = [
  'no-holder', 'signaling-down', 'ice-failed', 'timeout', 'hash-mismatch', 'peer-closed',
  'peer-declined', 'protocol-violation', 'manifest-error', 'unsupported', 'opted-out', 'client-error',
] as const satisfies readonly FallbackReason[];
/** ICE candidate types an `ice-failed` fallback may list. */
const CANDIDATE_TYPE_NAMES = ['host', 'srflx', 'prflx', 'relay'] as const satisfies readonly CandidateType[];

// Compile-time checks that the lists above cover the protocol's unions exactly.
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : never;
const sourcesComplete: Missing<ByteSource, (typeof BYTE_SOURCES)[number]> = true;
const reasonsComplete: Missing<FallbackReason, (typeof FALLBACK_REASONS)[number]> = true;
const candidatesComplete: Missing<CandidateType, (typeof CANDIDATE_TYPE_NAMES)[number]> = true;
void sourcesComplete;
void reasonsComplete;
void candidatesComplete;

/** One asset larger than this is a lie, not a measurement (long videos stay far below). */
export const REPORT_ASSET_MAX_BYTES = 64 * 1024 ** 3;
/** Time-to-image beyond ten minutes is a tab left in the background, not a load time. */
export const REPORT_MAX_MS = 10 * 60 * 1000;
const PAGE_MAX_CHARS = 512;

const assetSchema = z.strictObject({
  id: z.string().regex(ASSET_ID_PATTERN),
  source: z.enum(BYTE_SOURCES),
  bytes: z.number().int().nonnegative().max(REPORT_ASSET_MAX_BYTES),
  ms: z.number().nonnegative().max(REPORT_MAX_MS).optional(),
  fallback: z.enum(FALLBACK_REASONS).optional(),
  candidates: z.array(z.enum(CANDIDATE_TYPE_NAMES)).max(CANDIDATE_TYPE_NAMES.length).optional(),
  hedge: z.enum(['peer', 'http']).optional(),
  hedgeBytes: z.number().int().nonnegative().max(REPORT_ASSET_MAX_BYTES).optional(),
}).refine((asset) => asset.hedgeBytes === undefined || asset.hedge !== undefined, { message: 'hedgeBytes without hedge', path: ['hedgeBytes'] });

export const reportSchema = z.strictObject({
  v: z.literal(1),
  page: z.string().max(PAGE_MAX_CHARS).regex(/^\/[^\s?#]*$/),
  assets: z.array(assetSchema).max(REPORT_MAX_ASSETS),
});

/** Parses an untrusted report body; throws a short message naming the first problem. */
export function parseReport(text: string): ReportBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('body is not JSON');
  }
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid report');
  }
  return parsed.data;
}
