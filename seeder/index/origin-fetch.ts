import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { BodyWriter, CachedBody } from '../cache/byte-cache.js';
import { IMAGE_HEAD_BYTES, imageDimensions } from './image-dimensions.js';
import type { UrlScope } from './url-scope.js';
import { isStaleSocketError } from '../../core/http/stale-socket.js';

/** Same-origin redirects followed before giving up. */
export const MAX_REDIRECTS = 3;
export const ORIGIN_HEADERS_TIMEOUT_MS = 15_000;
export const ORIGIN_BODY_TIMEOUT_MS = 30_000;

export type FetchFailure = 'not-found' | 'forbidden' | 'too-large' | 'origin-error';

export class OriginFetchError extends Error {
  constructor(readonly reason: FetchFailure, message: string) {
    super(message);
    this.name = 'OriginFetchError';
  }
}

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type FetchOutcome =
  | { status: 'not-modified' }
  /** The body is larger than allowed; `size` is the declared length when the origin sent one. */
  | { status: 'too-large'; contentType: string; size?: number }
  | {
    status: 'ok'; contentType: string; size: number; sha256: string; body: CachedBody; validators: Validators;
    /** Images: the intrinsic width and height their bytes declare, when readable. */
    dimensions?: { width: number; height: number };
  };

export interface FetchOptions {
  scope: UrlScope;
  dispatcher?: Dispatcher;
  validators?: Validators;
  /** Content types and sizes: returns the byte limit for a response of this type. */
  limitFor: (contentType: string) => number;
  newWriter: () => Promise<BodyWriter>;
}

/** A GET, sent once more when the origin closed the reused connection under it (the pool has dropped that socket by then). */
async function getRetryingStaleSocket(url: URL, headers: Record<string, string>, dispatcher: Dispatcher | undefined): Promise<Dispatcher.ResponseData> {
  const send = (): Promise<Dispatcher.ResponseData> => request(url, {
    method: 'GET', headers, dispatcher, headersTimeout: ORIGIN_HEADERS_TIMEOUT_MS, bodyTimeout: ORIGIN_BODY_TIMEOUT_MS,
  });
  try {
    return await send();
  } catch (err) {
    if (!isStaleSocketError(err)) throw err;
    return send();
  }
}

/**
 * One GET against the origin: redirects are followed by hand and only while they
 * stay on the origin; the body is hashed as it streams into the cache writer, so
 * it is read once and never held twice.
 */
export async function fetchFromOrigin(url: URL, options: FetchOptions): Promise<FetchOutcome> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'PeerConnect-seeder' };
    if (options.validators?.etag) headers['if-none-match'] = options.validators.etag;
    else if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified;
    let res: Dispatcher.ResponseData;
    try {
      res = await getRetryingStaleSocket(current, headers, options.dispatcher);
    } catch (err) {
      throw new OriginFetchError('origin-error', `origin request failed: ${(err as Error).message}`);
    }
    const status = res.statusCode;
    if (status >= 300 && status < 400 && status !== 304) {
      await res.body.dump().catch(() => undefined);
      const location = header(res.headers, 'location');
      if (!location) throw new OriginFetchError('origin-error', `redirect ${status} without Location`);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new OriginFetchError('origin-error', 'redirect to an invalid URL');
      }
      if (!options.scope.isOrigin(next)) throw new OriginFetchError('forbidden', 'origin redirected to another host');
      current = next;
      continue;
    }
    if (status === 304) {
      await res.body.dump().catch(() => undefined);
      return { status: 'not-modified' };
    }
    if (status === 404 || status === 410) {
      await res.body.dump().catch(() => undefined);
      throw new OriginFetchError('not-found', `origin answered ${status}`);
    }
    if (status !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new OriginFetchError('origin-error', `origin answered ${status}`);
    }
    if (header(res.headers, 'content-encoding') && header(res.headers, 'content-encoding') !== 'identity') {
      await res.body.dump().catch(() => undefined);
      throw new OriginFetchError('origin-error', 'origin sent an encoded body for a media file');
    }
    const contentType = (header(res.headers, 'content-type') ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
    const limit = options.limitFor(contentType);
    const declared = Number(header(res.headers, 'content-length'));
    const declaredSize = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
    if (declaredSize !== undefined && declaredSize > limit) {
      res.body.destroy();
      return { status: 'too-large', contentType, size: declaredSize };
    }
    const hash = createHash('sha256');
    const writer = await options.newWriter();
    // An image's start, for its dimensions (read from the bytes hashed here, not fetched again).
    const head: Buffer[] = [];
    let headBytes = contentType.startsWith('image/') ? 0 : IMAGE_HEAD_BYTES;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        if (writer.bytes + buf.length > limit) {
          res.body.destroy();
          writer.abort();
          return { status: 'too-large', contentType };
        }
        hash.update(buf);
        if (headBytes < IMAGE_HEAD_BYTES) {
          const part = buf.subarray(0, IMAGE_HEAD_BYTES - headBytes);
          head.push(part);
          headBytes += part.length;
        }
        await writer.write(buf);
      }
      const body = await writer.end();
      const validators: Validators = {};
      const etag = header(res.headers, 'etag');
      const lastModified = header(res.headers, 'last-modified');
      if (etag) validators.etag = etag;
      if (lastModified) validators.lastModified = lastModified;
      const dimensions = head.length > 0 ? imageDimensions(Buffer.concat(head)) : undefined;
      return { status: 'ok', contentType, size: body.size, sha256: hash.digest('hex'), body, validators, ...(dimensions ? { dimensions } : {}) };
    } catch (err) {
      writer.abort();
      if (err instanceof OriginFetchError) throw err;
      throw new OriginFetchError('origin-error', `origin body failed: ${(err as Error).message}`);
    }
  }
  throw new OriginFetchError('origin-error', `more than ${MAX_REDIRECTS} redirects`);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
