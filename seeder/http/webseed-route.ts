import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isAssetId } from '../../protocol/asset-id.js';
import { sendJsonError } from '../../core/http/error-response.js';
import { readRange, type CachedBody } from '../cache/byte-cache.js';
import type { AssetRecord, MediaIndex } from '../index/media-index.js';
import { parseRange, type ByteRange } from '../../core/http/range.js';

/** The bytes behind an id never change (a new origin body gets a new ETag), but the origin may change: cache briefly. */
export const WEBSEED_CACHE_CONTROL = 'public, max-age=300';

export interface WebseedDeps {
  index: MediaIndex;
  onBytes?: (bytes: number) => void;
}

/**
 * `GET <prefix>/seed/<id>`: the cached bytes of one asset with RFC 9110 ranges
 * (single → 206, several → multipart/byteranges, none overlapping → 416).
 * WebTorrent asks for one 16 KiB block per request, so nothing here is heavier
 * than a map lookup and a slice: no hashing, no origin round trip on a hit.
 */
export async function serveWebseed(req: IncomingMessage, res: ServerResponse, id: string, deps: WebseedDeps): Promise<void> {
  const record = isAssetId(id) ? deps.index.recordById(id) : undefined;
  if (!record || !record.p2p || record.sha256 === undefined) return sendJsonError(res, 'PC_ERR_NOT_FOUND');
  let found: { record: AssetRecord; body: CachedBody } | undefined;
  try {
    found = await deps.index.body(record);
  } catch {
    found = undefined;
  }
  if (!found) return sendJsonError(res, 'PC_ERR_NOT_FOUND');
  const { body } = found;
  const size = body.size;
  const etag = `"${found.record.sha256}"`;
  const common: Record<string, string> = {
    'accept-ranges': 'bytes',
    etag,
    'cache-control': WEBSEED_CACHE_CONTROL,
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'content-range, content-length, etag, accept-ranges',
  };
  if (matchesAny(req.headers['if-none-match'], etag)) {
    res.writeHead(304, common).end();
    return;
  }

  let ranges: ByteRange[] | undefined;
  const ifRange = req.headers['if-range'];
  // If-Range with another validator (or a date, which we cannot compare strongly) means "send it all".
  const rangeAllowed = ifRange === undefined || ifRange === etag;
  const parsed = rangeAllowed ? parseRange(req.headers.range, size) : { type: 'ignore' as const };
  if (parsed.type === 'unsatisfiable') {
    // Keep the validators and CORS headers: the client learns the size from Content-Range and asks again.
    return sendJsonError(res, 'PC_ERR_RANGE', undefined, {
      headers: { ...common, 'cache-control': 'no-store', 'content-range': `bytes */${size}` },
    });
  }
  if (parsed.type === 'ranges') ranges = parsed.ranges;
  const head = req.method === 'HEAD';

  if (!ranges) {
    res.writeHead(200, { ...common, 'content-type': found.record.contentType, 'content-length': size });
    return send(res, head ? [] : [readRange(body, 0, size - 1)], size, head, deps);
  }
  if (ranges.length === 1) {
    const r = ranges[0]!;
    const length = r.end - r.start + 1;
    res.writeHead(206, {
      ...common, 'content-type': found.record.contentType,
      'content-range': `bytes ${r.start}-${r.end}/${size}`, 'content-length': length,
    });
    return send(res, head ? [] : [readRange(body, r.start, r.end)], length, head, deps);
  }
  const boundary = `pc-${randomBytes(12).toString('hex')}`;
  const parts: (Buffer | Readable)[] = [];
  let length = 0;
  for (const r of ranges) {
    const partHead = Buffer.from(`\r\n--${boundary}\r\ncontent-type: ${found.record.contentType}\r\ncontent-range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`);
    parts.push(partHead);
    if (!head) parts.push(readRange(body, r.start, r.end) as Buffer | Readable);
    length += partHead.length + (r.end - r.start + 1);
  }
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  parts.push(tail);
  length += tail.length;
  res.writeHead(206, { ...common, 'content-type': `multipart/byteranges; boundary=${boundary}`, 'content-length': length });
  return send(res, head ? [] : parts, length, head, deps);
}

async function send(res: ServerResponse, parts: (Buffer | Readable)[], length: number, head: boolean, deps: WebseedDeps): Promise<void> {
  if (head || parts.length === 0) {
    res.end();
    return;
  }
  if (parts.length === 1 && Buffer.isBuffer(parts[0])) {
    res.end(parts[0]);
    deps.onBytes?.(length);
    return;
  }
  try {
    await pipeline(Readable.from(concatParts(parts)), res);
    deps.onBytes?.(length);
  } catch {
    // The client went away mid-body; nothing to answer.
    res.destroy();
  }
}

async function* concatParts(parts: (Buffer | Readable)[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (Buffer.isBuffer(part)) yield part;
    else for await (const chunk of part) yield chunk as Buffer;
  }
}

function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
