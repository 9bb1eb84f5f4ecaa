import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_MANIFEST_URLS, type ManifestEntry, type ManifestResponse } from '../../protocol/manifest.js';
import { assetIdFor } from '../../core/asset-id.js';
import type { ErrorCode } from '../../core/errors.js';
import { sendJsonError } from '../../core/http/error-response.js';
import type { HolderCounts } from '../../core/feature.js';
import { RateLimiter } from '../../core/utils/rate-limiter.js';
import { IndexError, type MediaIndex } from '../index/media-index.js';
import { UrlRefusedError } from '../index/url-scope.js';

/**
 * Per-address budget of URLs that need an origin fetch: a page's worth at once
 * (several full manifests), then a steady trickle. URLs the index already has
 * fresh cost nothing, so many visitors behind one address reading the same
 * pages are not limited; a flood of distinct URLs is.
 */
export const MANIFEST_FETCH_BURST = 4 * MAX_MANIFEST_URLS;
export const MANIFEST_FETCHES_PER_SEC = 32;
/** Addresses remembered at once (least recently seen forgotten first). */
export const MANIFEST_MAX_CLIENTS = 10_000;

export function manifestBudget(now?: () => number): RateLimiter {
  return new RateLimiter({ burst: MANIFEST_FETCH_BURST, perSecond: MANIFEST_FETCHES_PER_SEC, maxClients: MANIFEST_MAX_CLIENTS, now });
}

export interface ManifestDeps {
  index: MediaIndex;
  /** Browser holders online for an asset id (from signaling, when it runs). */
  holders?: HolderCounts;
  /** Origin-fetch budget per client address; absent means unlimited. */
  budget?: RateLimiter;
}

type EntryError = NonNullable<ManifestEntry['error']>;
/** A single-URL answer takes its status from the entry's error; too large is still a valid (p2p: false) answer. */
const CODE_OF: Record<EntryError, ErrorCode | undefined> = {
  'not-found': 'PC_ERR_NOT_FOUND',
  forbidden: 'PC_ERR_FORBIDDEN_URL',
  'bad-url': 'PC_ERR_BAD_REQUEST',
  'too-large': undefined,
  'origin-error': 'PC_ERR_ORIGIN_FAILED',
};

/** Resolves one requested URL to its manifest entry; never throws. */
export async function manifestEntry(raw: string, publicBase: string, deps: ManifestDeps): Promise<ManifestEntry> {
  let requested: URL;
  let upstream: URL;
  try {
    ({ requested, upstream } = deps.index.scope.resolve(raw, `${publicBase}/`));
  } catch (err) {
    if (err instanceof UrlRefusedError) return { url: raw, error: err.reason };
    throw err;
  }
  const id = assetIdFor(requested);
  try {
    const record = await deps.index.lookup(upstream);
    deps.index.alias(id, record.upstream);
    const entry: ManifestEntry = { url: raw, id, contentType: record.contentType, p2p: record.p2p };
    if (record.size !== undefined) entry.size = record.size;
    if (record.sha256 !== undefined) entry.sha256 = record.sha256;
    if (record.infoHash !== undefined) entry.infoHash = record.infoHash;
    if (record.tooLarge && record.kind !== 'image') entry.error = 'too-large';
    if (deps.holders) entry.holders = deps.holders.holderCount(id);
    return entry;
  } catch (err) {
    if (err instanceof IndexError) return { url: raw, id, error: err.reason };
    return { url: raw, id, error: 'origin-error' };
  }
}

/**
 * `GET <prefix>/manifest?u=<url>[&u=<url>…]`: one entry per URL, in order. With a
 * single URL the status follows its outcome (404 when the origin has no such file),
 * and the body adds the catalog `error` code beside `assets`.
 */
export async function serveManifest(
  _req: IncomingMessage, res: ServerResponse, url: URL, publicBase: string, deps: ManifestDeps, clientAddress = '',
): Promise<void> {
  const urls = url.searchParams.getAll('u');
  if (urls.length === 0 || urls.length > MAX_MANIFEST_URLS) {
    return sendJsonError(res, 'PC_ERR_BAD_REQUEST', `expected 1-${MAX_MANIFEST_URLS} u parameters`, { fields: { assets: [] } });
  }
  try {
    deps.index.scope.learnHost(new URL(publicBase).host);
  } catch {
    // a malformed Host cannot become a site host
  }
  const cost = originFetchesNeeded(urls, publicBase, deps.index);
  if (deps.budget && cost > 0 && !deps.budget.take(clientAddress, cost)) {
    const retryAfter = Math.max(1, deps.budget.retryAfterSeconds(clientAddress, cost));
    return sendJsonError(res, 'PC_ERR_RATE_LIMITED', 'too many manifest lookups from this address', {
      headers: { 'retry-after': String(retryAfter) }, fields: { assets: [] },
    });
  }
  const assets = await Promise.all(urls.map((raw) => manifestEntry(raw, publicBase, deps)));
  const only = assets.length === 1 ? assets[0] : undefined;
  const code = only?.error ? CODE_OF[only.error] : undefined;
  if (code) return sendJsonError(res, code, undefined, { fields: { assets } });
  return sendManifest(res, { assets });
}

/** URLs of this request that the index would have to fetch from the origin (refused URLs cost nothing). */
function originFetchesNeeded(urls: string[], publicBase: string, index: MediaIndex): number {
  let count = 0;
  for (const raw of urls) {
    try {
      if (!index.isFresh(index.scope.resolve(raw, `${publicBase}/`).upstream)) count++;
    } catch {
      // refused before any fetch
    }
  }
  return count;
}

function sendManifest(res: ServerResponse, body: ManifestResponse): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // Hashes can change when the origin changes: let browsers keep them only briefly.
    'cache-control': 'private, max-age=10',
  });
  res.end(text);
}
