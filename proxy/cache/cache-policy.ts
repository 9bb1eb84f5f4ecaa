import type { IncomingHttpHeaders } from 'node:http';
import CachePolicy from 'http-cache-semantics';

/** Why a response was not stored; the label of `peerconnect_edge_cache_bypass_total`. */
export type NotStoredReason =
  | 'status' | 'no-store' | 'private' | 'set-cookie' | 'credentials' | 'vary' | 'type' | 'too-large' | 'not-storable'
  /** The body could not be written to the store, or the origin broke off mid-body. */
  | 'store-error' | 'origin-error';

export type StorageDecision =
  | { store: true; policy: CachePolicy }
  | { store: false; reason: NotStoredReason };

/** The request as the cache rules see it: GET (HEAD is served from GET entries), only the fields that matter. */
export function policyRequest(url: string, headers: IncomingHttpHeaders): CachePolicy.Request {
  return {
    url,
    method: 'GET',
    headers: {
      host: headers.host,
      'accept-encoding': headers['accept-encoding'],
      'cache-control': headers['cache-control'],
      pragma: headers.pragma,
      authorization: headers.authorization,
      cookie: headers.cookie,
    },
  };
}

/** Statuses whose body is a full representation the cache may answer Range and conditionals from. */
const STORED_STATUSES = new Set([200]);

/**
 * Whether a shared cache may keep this response (RFC 9111 §3 via
 * http-cache-semantics), plus stricter rules of our own where a wrong answer
 * leaks one visitor's bytes to another: anything carrying Set-Cookie, and
 * anything asked for with Authorization or cookies unless the origin said
 * `public` or `s-maxage`, is never stored; Vary on anything but
 * Accept-Encoding is not kept apart here, so it is passed through.
 */
export function decideStorage(req: CachePolicy.Request, status: number, headers: IncomingHttpHeaders): StorageDecision {
  if (!STORED_STATUSES.has(status)) return { store: false, reason: 'status' };
  const directives = cacheControl(headers['cache-control']);
  if (directives.has('no-store') || cacheControl(req.headers['cache-control']).has('no-store')) return { store: false, reason: 'no-store' };
  if (directives.has('private')) return { store: false, reason: 'private' };
  if (headers['set-cookie'] !== undefined) return { store: false, reason: 'set-cookie' };
  const credentials = req.headers.authorization !== undefined || req.headers.cookie !== undefined;
  if (credentials && !directives.has('public') && !directives.has('s-maxage')) return { store: false, reason: 'credentials' };
  if (!varyIsAcceptEncodingOnly(headers.vary)) return { store: false, reason: 'vary' };
  const policy = new CachePolicy(req, { status, headers: headers as CachePolicy.Response['headers'] }, { shared: true });
  if (!policy.storable()) return { store: false, reason: 'not-storable' };
  // Never fresh and nothing to revalidate with: every use would be a full fetch anyway.
  if (policy.timeToLive() === 0 && headers.etag === undefined && headers['last-modified'] === undefined) {
    return { store: false, reason: 'not-storable' };
  }
  return { store: true, policy };
}

/** True without Vary, or when it names only Accept-Encoding (variants are then kept apart by that header). */
export function varyIsAcceptEncodingOnly(vary: string | undefined): boolean {
  if (vary === undefined) return true;
  return vary.split(',').every((field) => {
    const name = field.trim().toLowerCase();
    return name === '' || name === 'accept-encoding';
  });
}

/** Directive names of a Cache-Control field, lowercased. */
export function cacheControl(value: string | string[] | undefined): Set<string> {
  const names = new Set<string>();
  for (const item of [value ?? []].flat()) {
    for (const part of item.split(',')) {
      const name = part.split('=')[0]!.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return names;
}
