import type { ClientConfig } from '../protocol/client-config.js';
import { HTTP_ALWAYS, MEDIA_KINDS, type DeliveryMode, type MediaKind } from '../protocol/media.js';

/** One eligible asset, as the policy sees it. */
export interface AssetRef {
  /** Stable asset id (from `assetId`). */
  id: string;
  /** Absolute URL the browser would request. */
  url: string;
  kind: MediaKind;
}

/**
 * Everything the injector needs; it is a pure function of these and the input bytes.
 */
export interface InjectorOptions {
  /** Absolute URL of the page as the browser sees it (relative URLs resolve against it). */
  pageUrl: string;
  /**
   * Hosts (`host` or `host:port`) whose media count as same-origin, besides the
   * page's own host — typically the configured `domainName`.
   * @default []
   */
  sameOriginHosts?: readonly string[];
  /** Media kinds that may be tagged. @default ['image', 'video', 'audio'] */
  mediaTypes?: readonly MediaKind[];
  /** File extensions (lower case, no dot) that are never tagged. @default ['gif'] */
  excludeFormats?: readonly string[];
  /** When true, the first `foldCount` images in document order always keep `src`. @default false */
  foldLoading?: boolean;
  /** @default 4 */
  foldCount?: number;
  /** Stable id of an absolute media URL (the proxy passes `assetIdFor`). */
  assetId(url: string): string;
  /**
   * Whether an asset should load from peers (its `src` is moved away) or over HTTP
   * (kept; the visitor becomes a holder). Errors count as `'http'`.
   * @default () => 'http'
   */
  policy?: (asset: AssetRef) => DeliveryMode;
  /** URL of the client bundle, written as `<script src=… defer>`. */
  scriptSrc: string;
  /** Config embedded as `<script type="application/json" id="__p2p-config">`. */
  clientConfig: ClientConfig;
  /** CSP nonce to put on the injected script (when the page's policy uses nonces). */
  nonce?: string;
  /**
   * Charset label from the HTTP `Content-Type` header, if any. It decides (with
   * a BOM or `<meta charset>`) whether non-ASCII URLs may be tagged.
   */
  charset?: string;
  /**
   * Parse the page and run every handler, but change nothing: the output is
   * byte-identical to the input. @default false
   */
  disabled?: boolean;
}

export interface ResolvedInjectorOptions {
  readonly pageUrl: URL;
  readonly sameOriginHosts: ReadonlySet<string>;
  readonly mediaTypes: ReadonlySet<MediaKind>;
  readonly excludeFormats: ReadonlySet<string>;
  readonly foldLoading: boolean;
  readonly foldCount: number;
  readonly assetId: (url: string) => string;
  readonly policy: (asset: AssetRef) => DeliveryMode;
  readonly scriptSrc: string;
  readonly clientConfig: ClientConfig;
  readonly nonce: string | undefined;
  readonly charset: string | undefined;
  readonly disabled: boolean;
}

export const DEFAULT_FOLD_COUNT = 4;
const NONCE_PATTERN = /^[A-Za-z0-9+/_=-]{1,256}$/;

/** Merges defaults and validates once, so the per-element code never re-checks. */
export function resolveInjectorOptions(options: InjectorOptions): ResolvedInjectorOptions {
  let pageUrl: URL;
  try {
    pageUrl = new URL(options.pageUrl);
  } catch {
    throw new TypeError(`injector: pageUrl must be an absolute URL, got ${JSON.stringify(options.pageUrl)}`);
  }
  const foldCount = options.foldCount ?? DEFAULT_FOLD_COUNT;
  if (!Number.isInteger(foldCount) || foldCount < 0) {
    throw new TypeError(`injector: foldCount must be a non-negative integer, got ${String(foldCount)}`);
  }
  if (options.nonce !== undefined && !NONCE_PATTERN.test(options.nonce)) {
    throw new TypeError('injector: nonce must be base64 characters');
  }
  const hosts = new Set<string>([pageUrl.host.toLowerCase()]);
  for (const host of options.sameOriginHosts ?? []) hosts.add(host.toLowerCase());
  return Object.freeze({
    pageUrl,
    sameOriginHosts: hosts,
    mediaTypes: new Set<MediaKind>(options.mediaTypes ?? MEDIA_KINDS),
    excludeFormats: new Set((options.excludeFormats ?? ['gif']).map((f) => f.toLowerCase())),
    foldLoading: options.foldLoading ?? false,
    foldCount,
    assetId: options.assetId,
    policy: options.policy ?? HTTP_ALWAYS,
    scriptSrc: options.scriptSrc,
    clientConfig: options.clientConfig,
    nonce: options.nonce,
    charset: normalizeLabel(options.charset),
    disabled: options.disabled ?? false,
  });
}

/** A charset label as compared by the injector: trimmed, lower case; empty counts as absent. */
export function normalizeLabel(label: string | undefined): string | undefined {
  const value = label?.trim().toLowerCase().replace(/^["']|["']$/g, '');
  return value === undefined || value === '' ? undefined : value;
}
