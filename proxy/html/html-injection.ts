import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import * as nodeStream from 'node:stream';
import type { Duplex } from 'node:stream';
import type { ClientConfig } from '../../protocol/client-config.js';
import { charsetFromContentType, createInjector, isAsciiCompatibleLabel, type AssetRef } from '../../injector/index.js';
import { HTTP_ALWAYS, type DeliveryMode } from '../../protocol/media.js';
import { assetIdFor } from '../../core/asset-id.js';
import type { Config } from '../../core/config/options.js';
import type { BodyRewrite, ResponseContext, ResponseRewriter } from '../http/forward.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Feature } from '../../core/feature.js';
import { accepts, createDecoder, createEncoder, parseContentEncoding } from './content-coding.js';
import { planCsp } from './csp.js';
import { PageAssets, type DescribeAsset } from './page-assets.js';

/** What decides per page whether assets load from peers; undefined means all HTTP. */
export type PolicyProvider = (page: { req: IncomingMessage; url: URL }) => ((asset: AssetRef) => DeliveryMode) | undefined;

/** Label values of `metrics.htmlRewrites`. */
export type RewriteResult = 'rewritten' | 'fallback' | 'skipped-no-transform' | 'skipped-encoding' | 'skipped-charset' | 'skipped-csp' | 'skipped-no-client';

export interface HtmlInjectionOptions {
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** `<script src>` of the client bundle; undefined while no bundle exists (pages then pass untouched). */
  scriptSrc: () => string | undefined;
  /** Per page, which assets load from peers (signaling's threshold policy); undefined: all HTTP. */
  policy: PolicyProvider;
  /** The media index's facts for an asset id: put into the page's config so the client skips the manifest request. */
  describeAsset?: DescribeAsset;
}

const DOCUMENT_DESTINATIONS = new Set(['document', 'iframe', 'frame', 'embed', 'object']);
const HTML_TYPE = /^\s*text\/html\s*(;|$)/i;
/** `stream.compose` (Node ≥ 16.9) chains transforms into one Duplex with shared error and destroy; @types/node 20 lacks the declaration. */
const compose = (nodeStream as unknown as { compose(...streams: Duplex[]): Duplex }).compose;

/**
 * The proxy side of the injector: picks which responses are rewritten, undoes
 * and redoes their content coding around the streaming injector, and fixes the
 * headers a changed body invalidates. Register `rewriter` with
 * `server.addResponseRewriter`.
 */
export class HtmlInjectionFeature implements Feature {
  readonly name = 'html-injection';
  readonly rewriter: ResponseRewriter = (ctx) => this.rewrite(ctx);
  private readonly clientConfig: ClientConfig;
  private readonly pageAssets = new PageAssets();

  constructor(private readonly options: HtmlInjectionOptions) {
    const { config } = options;
    this.clientConfig = Object.freeze({
      v: 1,
      prefix: config.prefix,
      peerTimeoutMs: config.peerTimeoutMs,
      ...(config.hedgeMs !== undefined ? { hedgeMs: config.hedgeMs } : {}),
      ...(config.lcpHttp ? { lcpHttp: true as const } : {}),
      // Only credential-free servers (STUN) go into the page: HTML is cached and
      // shared, while signaling's welcome hands each visitor the full list, TURN
      // credentials included (minted ones fresh on every connection).
      iceServers: config.iceServers.filter((server) => server.username === undefined && server.credential === undefined).flatMap((server) => server.urls),
      mediaTypes: [...config.mediaTypes],
      ...(config.privacy === 'strict' ? { privacy: 'strict' as const } : {}),
      ...(config.trackerUrl !== undefined ? { trackerUrl: config.trackerUrl } : {}),
    });
  }

  private count(result: RewriteResult): void {
    this.options.metrics.htmlRewrites.inc({ result });
  }

  private rewrite(ctx: ResponseContext): BodyRewrite | undefined {
    const { req, headers, statusCode } = ctx;
    if (req.method === 'HEAD' || statusCode < 200 || statusCode > 299 || statusCode === 204 || statusCode === 205 || statusCode === 206) return undefined;
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !HTML_TYPE.test(contentType)) return undefined;
    if (/attachment/i.test(String(headers['content-disposition'] ?? ''))) return undefined;
    // fetch()/XHR fragments (htmx, Turbo…) are not pages: no client, no tags. Browsers
    // without Fetch Metadata send no Sec-Fetch-Dest and are treated as navigations.
    const dest = req.headers['sec-fetch-dest'];
    if (typeof dest === 'string' && !DOCUMENT_DESTINATIONS.has(dest.toLowerCase())) return undefined;
    if (/(^|,)\s*no-transform\s*(,|$)/i.test([headers['cache-control'] ?? ''].flat().join(','))) {
      this.count('skipped-no-transform');
      return undefined;
    }
    const coding = parseContentEncoding(headers['content-encoding']);
    if (coding === undefined) {
      this.count('skipped-encoding');
      return undefined;
    }
    const charset = charsetFromContentType(contentType);
    if (!isAsciiCompatibleLabel(charset)) {
      this.count('skipped-charset');
      return undefined;
    }
    const scriptSrc = this.options.scriptSrc();
    if (scriptSrc === undefined) {
      this.count('skipped-no-client');
      return undefined;
    }
    const csp = planCsp(headers['content-security-policy']);
    if (csp.action === 'blocked') {
      this.count('skipped-csp');
      return undefined;
    }

    const page = new URL(ctx.publicBase + ctx.url.pathname + ctx.url.search);
    const pagePolicy = csp.peerAllowed ? (this.options.policy({ req, url: page }) ?? HTTP_ALWAYS) : HTTP_ALWAYS;
    const { config, logger, describeAsset } = this.options;
    const pageKey = ctx.url.pathname + ctx.url.search;
    const assets = describeAsset ? this.pageAssets.known(pageKey, describeAsset) : [];
    const clientConfig = assets.length > 0 ? { ...this.clientConfig, assets } : this.clientConfig;
    const policy = (asset: AssetRef): DeliveryMode => {
      this.pageAssets.record(pageKey, asset.id, asset.url);
      return pagePolicy(asset);
    };
    const injector = createInjector({
      pageUrl: page.href,
      sameOriginHosts: config.domainName ? [config.domainName] : [],
      mediaTypes: config.mediaTypes,
      excludeFormats: config.excludeFormats,
      foldLoading: config.foldLoading,
      foldCount: config.foldCount,
      assetId: assetIdFor,
      policy,
      scriptSrc,
      clientConfig,
      nonce: csp.action === 'nonce' || csp.action === 'rewrite' ? csp.nonce : undefined,
      charset,
    }, {
      onFallback: (err) => {
        this.count('fallback');
        logger.warn({ err, url: page.pathname }, 'html injector failed mid-stream: passing the rest of the page through');
      },
    });

    const out: OutgoingHttpHeaders = { ...headers };
    delete out['content-length'];
    // A changed body invalidates digests and byte ranges of the origin's representation.
    delete out['content-md5'];
    delete out['digest'];
    delete out['content-digest'];
    delete out['repr-digest'];
    delete out['accept-ranges'];
    const etag = out.etag;
    if (typeof etag === 'string' && !etag.startsWith('W/')) out.etag = `W/${etag}`;
    // Several policies go out as several header lines, each enforced as before.
    if (csp.action === 'rewrite') (out as Record<string, string | string[]>)['content-security-policy'] = csp.header;

    let transform: Duplex;
    if (coding === 'identity') {
      transform = injector;
    } else {
      addVary(out, 'accept-encoding');
      if (accepts(req.headers['accept-encoding'], coding)) {
        transform = compose(createDecoder(coding), injector, createEncoder(coding));
      } else {
        delete out['content-encoding'];
        transform = compose(createDecoder(coding), injector);
      }
    }
    this.count('rewritten');
    return { headers: out, transform };
  }
}

function addVary(headers: OutgoingHttpHeaders, name: string): void {
  const current = [headers.vary ?? []].flat().map(String).join(', ');
  if (current.split(',').some((v) => v.trim() === '*' || v.trim().toLowerCase() === name)) return;
  headers.vary = current === '' ? name : `${current}, ${name}`;
}
