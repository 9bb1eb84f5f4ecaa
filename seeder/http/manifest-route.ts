import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_MANIFEST_URLS, type ManifestEntry, type ManifestResponse } from '../../protocol/manifest.js';
import { assetIdFor } from '../../core/asset-id.js';
import type { HolderCounts } from '../../core/feature.js';
import { IndexError, type MediaIndex } from '../index/media-index.js';
import { UrlRefusedError } from '../index/url-scope.js';

export interface ManifestDeps {
  index: MediaIndex;
  /** Browser holders online for an asset id (from signaling, when it runs). */
  holders?: HolderCounts;
}

type EntryError = NonNullable<ManifestEntry['error']>;
const STATUS_OF: Record<EntryError, number> = { 'not-found': 404, forbidden: 403, 'bad-url': 400, 'too-large': 200, 'origin-error': 502 };

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
    if (err instanceof IndexError) return { url: raw, id, error: err.type };
    return { url: raw, id, error: 'origin-error' };
  }
}

/**
 * `GET <prefix>/manifest?u=<url>[&u=<url>…]`: one entry per URL, in order. With a
 * single URL the status follows its outcome (404 when the origin has no such file).
 */
export async function serveManifest(_req: IncomingMessage, res: ServerResponse, url: URL, publicBase: string, deps: ManifestDeps): Promise<void> {
  const urls = url.searchParams.getAll('u');
  if (urls.length === 0 || urls.length > MAX_MANIFEST_URLS) {
    return sendManifest(res, 400, { assets: [] }, `expected 1-${MAX_MANIFEST_URLS} u parameters`);
  }
  try {
    deps.index.scope.learnHost(new URL(publicBase).host);
  } catch {
    // a malformed Host cannot become a site host
  }
  const assets = await Promise.all(urls.map((raw) => manifestEntry(raw, publicBase, deps)));
  const only = assets.length === 1 ? assets[0] : undefined;
  const status = only?.error ? STATUS_OF[only.error] : 200;
  return sendManifest(res, status, { assets });
}

function sendManifest(res: ServerResponse, status: number, body: ManifestResponse, message?: string): void {
  const text = JSON.stringify(message ? { ...body, message } : body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // Hashes can change when the origin changes: let browsers keep them only briefly.
    'cache-control': 'private, max-age=10',
  });
  res.end(text);
}
