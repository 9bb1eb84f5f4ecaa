import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseRange, type ByteRange } from '../../core/http/range.js';
import { sendJsonError } from '../../core/http/error-response.js';
import type { BodyStore, StoredBody } from './body-store.js';

/**
 * `X-Cache`: where the answer came from. STALE: a stored response past its
 * freshness that the origin allows to be used while it is revalidated in the
 * background (`stale-while-revalidate`, RFC 5861).
 */
export type CacheStatus = 'HIT' | 'MISS' | 'REVALIDATED' | 'STALE';
export const X_CACHE_HEADER = 'x-cache';

/** Headers that describe one body and are replaced per answer. */
const BODY_HEADERS = ['content-length', 'content-range', 'transfer-encoding'];

/**
 * Answers a request from a stored 200 response: 304 when the visitor's
 * validators match (RFC 9110 §13.1), 206 for one range, multipart/byteranges
 * for several, 416 for none that overlap, HEAD without a body. Returns the body
 * bytes sent (what the origin did not have to send).
 */
export async function sendCached(
  req: IncomingMessage, res: ServerResponse, stored: { body: StoredBody; headers: OutgoingHttpHeaders },
  store: BodyStore, status: CacheStatus,
): Promise<number> {
  const { body } = stored;
  const size = body.size;
  const headers: OutgoingHttpHeaders = { ...stored.headers, [X_CACHE_HEADER]: status, 'accept-ranges': 'bytes' };
  for (const name of BODY_HEADERS) delete headers[name];
  const etag = typeof headers.etag === 'string' ? headers.etag : undefined;
  const lastModified = typeof headers['last-modified'] === 'string' ? headers['last-modified'] : undefined;

  if (notModified(req, etag, lastModified)) {
    delete headers['content-type'];
    res.writeHead(304, headers).end();
    return 0;
  }
  const ranges = rangesFor(req, size, etag, lastModified);
  if (ranges === 'unsatisfiable') {
    sendJsonError(res, 'PC_ERR_RANGE', undefined, { headers: { [X_CACHE_HEADER]: status, 'content-range': `bytes */${size}` } });
    return 0;
  }
  const head = req.method === 'HEAD';
  if (ranges === undefined) {
    res.writeHead(200, { ...headers, 'content-length': size });
    return send(res, head || size === 0 ? [] : [store.read(body, 0, size - 1)], size);
  }
  if (ranges.length === 1) {
    const r = ranges[0]!;
    const length = r.end - r.start + 1;
    res.writeHead(206, { ...headers, 'content-range': `bytes ${r.start}-${r.end}/${size}`, 'content-length': length });
    return send(res, head ? [] : [store.read(body, r.start, r.end)], length);
  }
  const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : 'application/octet-stream';
  const boundary = `pc-${randomBytes(12).toString('hex')}`;
  const parts: (Buffer | Readable)[] = [];
  let length = 0;
  for (const r of ranges) {
    const partHead = Buffer.from(`\r\n--${boundary}\r\ncontent-type: ${contentType}\r\ncontent-range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`);
    parts.push(partHead, store.read(body, r.start, r.end));
    length += partHead.length + (r.end - r.start + 1);
  }
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  parts.push(tail);
  length += tail.length;
  res.writeHead(206, { ...headers, 'content-type': `multipart/byteranges; boundary=${boundary}`, 'content-length': length });
  return send(res, head ? [] : parts, length);
}

/** If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2); weak comparison for GET. */
function notModified(req: IncomingMessage, etag: string | undefined, lastModified: string | undefined): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (etag === undefined) return false;
    const opaque = etag.replace(/^W\//, '');
    return ifNoneMatch.split(',').some((tag) => {
      const t = tag.trim();
      return t === '*' || t.replace(/^W\//, '') === opaque;
    });
  }
  const since = req.headers['if-modified-since'];
  if (since === undefined || lastModified === undefined) return false;
  const sinceMs = Date.parse(since);
  const modifiedMs = Date.parse(lastModified);
  return Number.isFinite(sinceMs) && Number.isFinite(modifiedMs) && modifiedMs <= sinceMs;
}

/** Ranges to answer; undefined: the whole body. If-Range with another validator means the whole body too. */
function rangesFor(req: IncomingMessage, size: number, etag: string | undefined, lastModified: string | undefined): ByteRange[] | 'unsatisfiable' | undefined {
  const ifRange = req.headers['if-range'];
  // If-Range needs a strong match (RFC 9110 §13.1.5): a weak ETag never matches, a date only when it is Last-Modified exactly.
  if (ifRange !== undefined && !(ifRange === etag && !ifRange.startsWith('W/')) && ifRange !== lastModified) return undefined;
  const parsed = parseRange(req.headers.range, size);
  if (parsed.type === 'ignore') return undefined;
  if (parsed.type === 'unsatisfiable') return 'unsatisfiable';
  return parsed.ranges;
}

async function send(res: ServerResponse, parts: (Buffer | Readable)[], length: number): Promise<number> {
  if (parts.length === 0) {
    res.end();
    return 0;
  }
  if (parts.length === 1 && Buffer.isBuffer(parts[0])) {
    res.end(parts[0]);
    return length;
  }
  try {
    await pipeline(Readable.from(concatParts(parts)), res);
    return length;
  } catch {
    // The visitor went away mid-body; nothing to answer.
    res.destroy();
    return 0;
  }
}

async function* concatParts(parts: (Buffer | Readable)[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (Buffer.isBuffer(part)) yield part;
    else for await (const chunk of part) yield chunk as Buffer;
  }
}
