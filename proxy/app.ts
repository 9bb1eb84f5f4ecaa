import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Config } from '../core/config/options.js';
import type { TlsMaterial } from './tls/tls-material.js';
import { createLogger, loggerOptionsFor, type Logger } from '../core/logger.js';
import { PeerConnectServer } from './server.js';
import { buildDemoSite } from './demo/demo-site.js';
import { StaticOrigin } from './demo/static-origin.js';
import { SignalingFeature } from './signaling/signaling-feature.js';
import { NetworkConnectivity } from './signaling/connectivity.js';
import { clientAddress } from './http/client-address.js';
import { StatsFeature } from './stats/stats-feature.js';
import { ClientBundle } from './routes/client-bundle.js';
import { MediaVendor } from './routes/media-vendor.js';
import { InMemoryPeerRegistry } from './signaling/peer-registry.js';
import { ClusterFeature } from './cluster/cluster-feature.js';
import { HtmlInjectionFeature } from './html/html-injection.js';
import { SeederFeature } from '../seeder/seeder-feature.js';
import { StunServer } from './stun/stun-server.js';
import { AcmeManager, acmeOptionsFrom } from './tls/acme-manager.js';
import { EdgeCache } from './cache/edge-cache.js';
import { CacheScope } from './cache/cache-scope.js';
import { registerPurgeRoute } from './cache/purge-route.js';
import type { BodyStore } from './cache/body-store.js';
import { readRange } from '../seeder/cache/byte-cache.js';

export interface RunningApp {
  server: PeerConnectServer;
  url: URL;
  origin: URL;
  /** Present when no ORIGIN was configured and the built-in demo site runs. */
  demo?: StaticOrigin;
  /** Signaling, tracker and the threshold policy; `signaling.stats()` for live counts. */
  signaling: SignalingFeature;
  /** Reports, stats, metrics, dashboard; `stats.adminUrl` is set when ADMIN_PORT is. */
  stats: StatsFeature;
  /** The HTML injector (asks signaling's threshold policy per asset). */
  injector: HtmlInjectionFeature;
  /** The browser client bundle (`scriptSrc`, `addVendorFile`). */
  clientBundle: ClientBundle;
  /** Media index, byte cache, webseed, torrents; `seeder.peer` once the embedded peer runs. */
  seeder: SeederFeature;
  /** With ACME_DOMAINS: the certificate manager (`certificate`, `renewNow()`, `orders`). */
  acme?: AcmeManager;
  /** With REDIS_URL: this instance's link to the others (shared registry, instance id, Redis state). */
  cluster?: ClusterFeature;
  /** With EDGE_CACHE other than off: the proxy's HTTP cache for media (`purge`, `size`). */
  edgeCache?: EdgeCache;
  close(): Promise<void>;
}

export interface StartAppOptions {
  /** Tests only: serve the client's test build, fault injection included (`ClientBundleOptions.testHooks`). @default false */
  clientTestHooks?: boolean;
  /** HTTPS on PORT with this certificate when no TLS_CERT_FILE is set (an ACME client's); swap later ones with `server.setCertificate`. */
  tls?: TlsMaterial;
}

/**
 * Composition root: builds the server, wires every feature, starts the demo
 * origin when no ORIGIN is set, and listens.
 */
export async function startApp(config: Config, logger: Logger = createLogger(config.logLevel, loggerOptionsFor(config)), options: StartAppOptions = {}): Promise<RunningApp> {
  // ACME_DOMAINS: HTTPS starts with the stored certificate, or a self-signed placeholder
  // until the first order; HTTP_PORT must be up before the CA fetches the challenge.
  const acme = config.acmeDomains.length > 0 ? new AcmeManager(acmeOptionsFrom(config, logger)) : undefined;
  const tls = options.tls ?? acme?.initialCertificate();
  let demo: StaticOrigin | undefined;
  let origin: URL;
  if (config.origin) {
    origin = new URL(config.origin);
  } else {
    demo = new StaticOrigin(buildDemoSite());
    origin = await demo.listen(0, '127.0.0.1');
    logger.info({ origin: origin.href }, 'no ORIGIN set: serving the built-in demo site');
  }

  let server: PeerConnectServer;
  try {
    // Throws on bad TLS files: the demo origin must not outlive the failed start.
    server = new PeerConnectServer({ config, origin, logger, ...(tls ? { tls } : {}) });
  } catch (err) {
    await demo?.close();
    throw err;
  }
  const { metrics, router: routes } = server;
  // Who holds what: read by signaling (pairing), its threshold policy and the seeder's manifests.
  // REDIS_URL: shared with the other instances through Redis (reads stay local and synchronous); else in-process.
  const cluster = config.redisUrl !== undefined
    ? new ClusterFeature({
      redisUrl: config.redisUrl, logger, limits: { maxPeers: config.signalMaxPeers },
      instanceTtlMs: config.redisPeerTtlMs, heartbeatMs: Math.floor(config.redisPeerTtlMs / 3),
    })
    : undefined;
  const registry = cluster?.registry ?? new InMemoryPeerRegistry({ maxPeers: config.signalMaxPeers });
  // No address is privileged: the seeder role needs a secret, a random one when the operator set none (only the embedded seeder knows it).
  const seederSecret = config.seederToken ?? config.adminToken ?? randomBytes(32).toString('base64url');
  if (config.seederMode === 'external' && config.seederToken === undefined && config.adminToken === undefined) {
    logger.warn('SEEDER_MODE=external but neither SEEDER_TOKEN nor ADMIN_TOKEN is set: the external seeder will be refused (set SEEDER_TOKEN on both)');
  }
  const seeder = new SeederFeature({
    config: Object.freeze({ ...config, seederToken: seederSecret }), origin, logger, metrics, routes, holders: registry,
    // With REDIS_URL: an image one instance hashed is described by every instance without hashing it again.
    ...(cluster ? { sharedManifests: cluster.manifests } : {}),
  });
  // The built-in STUN responder, only when the operator configured no ICE servers of their own.
  const stun = config.stunPort !== 'off' && config.iceServers.length === 0 && config.turnUrls.length === 0
    ? new StunServer({ port: config.stunPort, host: config.host, logger: logger.child({ module: 'peerconnect:stun' }) })
    : undefined;
  // What visitors' link reports say about their networks: where WebRTC keeps failing, pages load over HTTP.
  const connectivity = new NetworkConnectivity();
  const signaling = new SignalingFeature({
    config, logger, metrics, routes, registry, knownTorrents: seeder.torrents, connectivity, turnAvailable: turnAvailable(config), stunPort: () => stun?.port, seederSecret,
    ...(cluster ? { remote: cluster.relay } : {}),
  });
  const clientBundle = new ClientBundle({ prefix: config.prefix, router: routes, logger, testHooks: options.clientTestHooks ?? false });
  // An asset switches to peer delivery once `threshold` browsers announced it,
  // unless the visitor's network is one where peer links keep failing.
  const trustedProxies = new Set(config.trustProxy);
  const injector = new HtmlInjectionFeature({
    config, metrics, logger, scriptSrc: () => clientBundle.scriptSrc,
    policy: ({ req }) => signaling.policyFor(clientAddress(req, trustedProxies)),
    // Manifest facts go into each page's config: no manifest round trip before a parked image can be asked for.
    describeAsset: (id) => seeder.index.recordById(id),
  });
  // The edge cache keeps its bodies in the seeder's byte cache: one CACHE_MAX_BYTES bound, one LRU.
  const edgeCache = edgeCacheFor(config, origin, seeder, server, logger);
  // The traffic meter reads only what HTTP/2's compatibility objects share with HTTP/1.1 ('request', url, socket byte counts).
  const stats = new StatsFeature({
    config, metrics, logger, routes, httpServer: server.httpServer as Server, signaling, ...(edgeCache ? { edgeCache } : {}),
    assetUrls: { urlOf: (id) => seeder.index.recordById(id)?.upstream, sizeOf: (id) => seeder.index.recordById(id)?.size },
  });
  // Started in this order, closed after the server stops taking requests.
  // STUN binds before signaling starts, so no welcome misses its URL.
  if (stun) server.addFeature(stun);
  // Before signaling, so it closes after it: on SIGTERM the dropped sessions leave Redis, then the instance removes the rest.
  if (cluster) server.addFeature(cluster);
  server
    .addFeature(signaling)
    .addFeature(stats)
    .addFeature(clientBundle)
    .addFeature(injector)
    // WebTorrent's browser build and streaming worker, for pages with video/audio.
    .addFeature(new MediaVendor({ router: routes, clientBundle, logger }))
    .addFeature(seeder)
    .addResponseRewriter(injector.rewriter);
  if (acme) server.addFeature(acme);
  if (edgeCache) server.addFeature({ name: 'edge-cache', close: () => edgeCache.close() });

  let url: URL;
  try {
    url = await server.listen(config.port, config.host);
  } catch (err) {
    await server.close();
    await demo?.close();
    throw err;
  }
  acme?.begin(server);
  // The embedded seeder joins its own signaling and tracker over loopback, like any peer.
  if (config.seederMode === 'embedded') await seeder.startPeer(server.loopbackUrl());

  let closing: Promise<void> | undefined;
  return {
    server, url, origin, demo, signaling, stats, injector, clientBundle, seeder, ...(acme ? { acme } : {}), ...(cluster ? { cluster } : {}), ...(edgeCache ? { edgeCache } : {}),
    close() {
      closing ??= (async () => {
        await server.close();
        await demo?.close();
      })();
      return closing;
    },
  };
}

/** EDGE_CACHE: the cache in front of the forwarder, its metrics and, with ADMIN_TOKEN, its purge route. */
function edgeCacheFor(config: Config, origin: URL, seeder: SeederFeature, server: PeerConnectServer, logger: Logger): EdgeCache | undefined {
  const scope = new CacheScope(config.edgeCache, config.mediaTypes);
  if (!scope.enabled) return undefined;
  const bytes = seeder.cache;
  const store: BodyStore = {
    maxBytes: bytes.maxBytes,
    get: (key) => bytes.touch(key),
    set: (key, body) => bytes.set(key, body),
    delete: (key) => bytes.delete(key),
    writer: () => bytes.writer(),
    read: readRange,
  };
  const { metrics } = server;
  const cache = new EdgeCache({
    origin, scope, store, logger: logger.child({ module: 'peerconnect:edge-cache' }), connection: server.forwarder.clientOptions,
    events: {
      onResult: (result) => metrics.edgeCacheRequests.inc({ result }),
      onNotStored: (reason) => metrics.edgeCacheNotStored.inc({ reason }),
      onBytesFromCache: (n) => metrics.edgeCacheBytes.inc(n),
    },
  });
  server.setEdgeCache(cache);
  if (config.adminToken !== undefined) registerPurgeRoute(server.router, cache);
  return cache;
}

/** Two symmetric NATs meet only through TURN: minted credentials (TURN_URLS + TURN_SECRET) or a static turn: entry. */
function turnAvailable(config: Config): boolean {
  if (config.turnUrls.length > 0 && config.turnSecret !== undefined) return true;
  return config.iceServers.some((server) => [server.urls].flat().some((url) => /^turns?:/i.test(url)));
}
