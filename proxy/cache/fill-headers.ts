import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type CachePolicy from 'http-cache-semantics';
import { clientResponseHeaders, originRequestHeaders, type ForwardedInfo } from '../http/headers.js';
import { X_CACHE_HEADER } from './cached-response.js';

/** Request headers never sent with a fill: the cache wants the whole current body, whatever the visitor holds. */
const FILL_DROPPED_HEADERS = new Set(['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since']);
/** Stored per variant and recomputed per answer. */
const PER_ANSWER_HEADERS = ['age', X_CACHE_HEADER];

/** The visitor's headers for the origin, minus range and conditionals, plus the cache's own validators when revalidating. */
export function fillHeaders(req: IncomingMessage, info: ForwardedInfo, validators: Record<string, string> | undefined): string[] {
  const all = originRequestHeaders(req, info);
  const out: string[] = [];
  for (let i = 0; i < all.length; i += 2) {
    if (!FILL_DROPPED_HEADERS.has((all[i] as string).toLowerCase())) out.push(all[i] as string, all[i + 1] as string);
  }
  if (validators?.['if-none-match'] !== undefined) out.push('if-none-match', validators['if-none-match']);
  if (validators?.['if-modified-since'] !== undefined) out.push('if-modified-since', validators['if-modified-since']);
  return out;
}

/** The visitor's own validators must not end up in the cache's revalidation request. */
export function policyReqWithoutConditionals(req: CachePolicy.Request): CachePolicy.Request {
  return { ...req, headers: { ...req.headers, 'if-none-match': undefined, 'if-modified-since': undefined } };
}

/** Origin response headers as stored for visitors: Location rewritten, hop-by-hop gone, no Age or X-Cache (set per answer). */
export function storedHeaders(headers: Record<string, string | string[] | undefined>, origin: URL, publicBase: string): OutgoingHttpHeaders {
  const out = clientResponseHeaders(headers, origin, publicBase);
  for (const name of PER_ANSWER_HEADERS) delete out[name];
  return out;
}
