/**
 * Decides which URLs the seeder may index. Whatever host a browser used to reach
 * the proxy, bytes are only ever fetched from the configured origin: the host is
 * checked against a closed set, then only the path and query are carried over,
 * so no request can make the seeder contact another host (no SSRF).
 */
export const MAX_URL_CHARS = 2048;
/** Hosts learned from requests (the proxy's Host header) are kept in a small set. */
const MAX_LEARNED_HOSTS = 32;

export type UrlRefusal = 'bad-url' | 'forbidden';

export class UrlRefusedError extends Error {
  constructor(readonly reason: UrlRefusal, message: string) {
    super(message);
    this.name = 'UrlRefusedError';
  }
}

export interface ScopedUrl {
  /** The URL as the browser sees it (resolved, without fragment): asset ids are computed on it. */
  requested: URL;
  /** The same path and query on the origin: the only URL ever fetched. */
  upstream: URL;
}

export class UrlScope {
  readonly origin: URL;
  private readonly fixedHosts: ReadonlySet<string>;
  private readonly learned = new Set<string>();

  /** `publicHosts`: host[:port] names that also mean "this site" (PUBLIC_URL, P2P_DOMAIN_NAME, PROXY_URL). */
  constructor(origin: URL | string, publicHosts: Iterable<string | undefined> = []) {
    this.origin = new URL(origin);
    if (this.origin.protocol !== 'http:' && this.origin.protocol !== 'https:') throw new TypeError('origin must be http(s)');
    const hosts = new Set<string>([this.origin.host.toLowerCase()]);
    for (const host of publicHosts) if (host) hosts.add(host.toLowerCase());
    this.fixedHosts = hosts;
  }

  /** Remembers the host a visitor used to reach the proxy (bounded; oldest forgotten first). */
  learnHost(host: string): void {
    const h = host.toLowerCase();
    if (this.fixedHosts.has(h) || this.learned.has(h) || !/^[a-z0-9.[\]:-]{1,255}$/.test(h)) return;
    if (this.learned.size >= MAX_LEARNED_HOSTS) {
      const oldest = this.learned.values().next().value;
      if (oldest !== undefined) this.learned.delete(oldest);
    }
    this.learned.add(h);
  }

  isSiteHost(host: string): boolean {
    const h = host.toLowerCase();
    return this.fixedHosts.has(h) || this.learned.has(h);
  }

  /**
   * Resolves `raw` (absolute or relative to `base`) and maps it onto the origin.
   * `base` is the page or proxy URL; its host counts as this site for this call.
   * Throws UrlRefusedError for anything not on this site.
   */
  resolve(raw: string, base?: string | URL): ScopedUrl {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL_CHARS) {
      throw new UrlRefusedError('bad-url', 'expected a URL of 1-2048 characters');
    }
    let requested: URL;
    let baseUrl: URL | undefined;
    try {
      baseUrl = base === undefined ? undefined : new URL(base);
      requested = new URL(raw, baseUrl);
    } catch {
      throw new UrlRefusedError('bad-url', 'not a valid URL');
    }
    if (requested.protocol !== 'http:' && requested.protocol !== 'https:') {
      throw new UrlRefusedError('forbidden', `scheme ${requested.protocol} is not served`);
    }
    if (requested.username !== '' || requested.password !== '') {
      throw new UrlRefusedError('forbidden', 'URLs with credentials are not served');
    }
    const host = requested.host.toLowerCase();
    const sameAsBase = baseUrl !== undefined && baseUrl.host.toLowerCase() === host && baseUrl.protocol === requested.protocol;
    if (!sameAsBase && !this.isSiteHost(host)) {
      throw new UrlRefusedError('forbidden', 'URL is not on this site');
    }
    requested.hash = '';
    const upstream = new URL(requested.pathname + requested.search, this.origin);
    return { requested, upstream };
  }

  /** True when a redirect target stays on the origin (same scheme, host and port). */
  isOrigin(url: URL): boolean {
    return url.origin === this.origin.origin && url.username === '' && url.password === '';
  }
}
