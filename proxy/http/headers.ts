import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 hop-by-hop headers, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'http2-settings',
]);

const NO_TOKENS: ReadonlySet<string> = new Set();

function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  // Per request: most requests carry `Connection: keep-alive` or nothing at all.
  if (value === undefined) return NO_TOKENS;
  const tokens = new Set<string>();
  for (const item of typeof value === 'string' ? [value] : value) {
    for (const token of item.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) tokens.add(name);
    }
  }
  return tokens;
}

export interface ForwardedInfo {
  clientAddress: string;
  proto: 'http' | 'https';
  host: string | undefined;
  requestId: string;
  /**
   * Whether the direct peer is a trusted proxy (TRUST_PROXY): its X-Forwarded-For
   * chain is passed on with the peer appended; from anyone else the chain is
   * dropped, so an origin never sees a hop the visitor made up. @default true
   */
  trustedHop?: boolean;
  /** The socket peer when it differs from `clientAddress` (a trusted proxy): it is what X-Forwarded-For gets appended. */
  directPeer?: string;
}

/**
 * Request headers for the origin: the client's, in order and with repeats kept,
 * minus hop-by-hop ones and Expect (Node already answered `100-continue`, and
 * undici refuses it), plus X-Forwarded-* and Via.
 */
export function originRequestHeaders(req: IncomingMessage, info: ForwardedInfo, keepUpgrade = false): string[] {
  const dropped = connectionTokens(req.headers.connection);
  const out: string[] = [];
  const raw = req.rawHeaders;
  let priorForwardedFor: string | undefined;
  let priorVia: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not headers of the origin request.
    if (lower.startsWith(':')) continue;
    if (lower === 'x-forwarded-for') { priorForwardedFor = priorForwardedFor ? `${priorForwardedFor}, ${value}` : value; continue; }
    if (lower === 'via') { priorVia = priorVia ? `${priorVia}, ${value}` : value; continue; }
    if (lower === 'x-forwarded-proto' || lower === 'x-forwarded-host' || lower === 'x-request-id') continue;
    if (keepUpgrade && (lower === 'upgrade' || lower === 'connection')) { out.push(name, value); continue; }
    if (HOP_BY_HOP.has(lower) || dropped.has(lower) || lower === 'expect') continue;
    // Rewritten HTML goes out with its ETag weakened (W/"x"); ask the origin about
    // "x" so that origins comparing strictly can still answer 304.
    if (lower === 'if-none-match') { out.push(name, value.replace(/W\//g, '')); continue; }
    out.push(name, value);
  }
  if (info.trustedHop === false) priorForwardedFor = undefined;
  // From a trusted proxy the chain ends with that proxy, the hop before us; otherwise the visitor is the hop.
  const hop = info.directPeer ?? info.clientAddress;
  out.push('x-forwarded-for', priorForwardedFor ? `${priorForwardedFor}, ${hop}` : hop);
  out.push('x-forwarded-proto', info.proto);
  if (info.host) out.push('x-forwarded-host', info.host);
  out.push('x-request-id', info.requestId);
  out.push('via', `${priorVia ? `${priorVia}, ` : ''}1.1 peerconnect`);
  return out;
}

/**
 * Response headers for the client: the origin's minus hop-by-hop, with Location
 * headers that point at the origin moved to the public URL, and Via added.
 */
export function clientResponseHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  origin: URL,
  publicBase: string,
): OutgoingHttpHeaders {
  const dropped = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  // for…in, not Object.entries: no array of pairs per response.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !Object.hasOwn(headers, name)) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || dropped.has(lower)) continue;
    if ((lower === 'location' || lower === 'content-location') && typeof value === 'string') {
      out[lower] = rewriteOriginUrl(value, origin, publicBase);
      continue;
    }
    out[lower] = value;
  }
  const via = out.via;
  out.via = via ? `${via}, 1.1 peerconnect` : '1.1 peerconnect';
  return out;
}

/** An absolute URL on the origin becomes the same path on the public URL. */
export function rewriteOriginUrl(value: string, origin: URL, publicBase: string): string {
  let target: URL;
  try {
    target = new URL(value);
  } catch {
    return value; // relative: already correct for the client
  }
  if (target.origin !== origin.origin) return value;
  return publicBase + target.pathname + target.search + target.hash;
}
