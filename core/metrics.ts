import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * All Prometheus metrics, created in one place so names stay consistent. Each
 * server instance owns its own registry (tests run several in one process).
 */
export function createMetrics() {
  const registry = new Registry();
  // Process and runtime metrics, event-loop lag included (peerconnect_nodejs_eventloop_lag_seconds).
  collectDefaultMetrics({ register: registry, prefix: 'peerconnect_' });
  const metric = { registers: [registry] };
  return {
    registry,
    httpRequests: new Counter({
      name: 'peerconnect_http_requests_total', help: 'Requests answered, by route kind and status class',
      labelNames: ['route', 'status'] as const, ...metric,
    }),
    httpLatency: new Histogram({
      name: 'peerconnect_http_request_duration_seconds', help: 'Time to the end of the response, by route kind',
      labelNames: ['route'] as const, buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ...metric,
    }),
    bytesToClients: new Counter({
      name: 'peerconnect_bytes_to_clients_total', help: 'Bytes sent to clients (headers included), by kind (html, media, other, p2p)',
      labelNames: ['kind'] as const, ...metric,
    }),
    originFailures: new Counter({
      name: 'peerconnect_origin_failures_total', help: 'Origin failures by outcome',
      labelNames: ['outcome'] as const, ...metric,
    }),
    htmlRewrites: new Counter({
      name: 'peerconnect_html_rewrites_total', help: 'HTML responses rewritten, by result',
      labelNames: ['result'] as const, ...metric,
    }),
    mediaBytesBySource: new Counter({
      name: 'peerconnect_media_bytes_total', help: 'Media bytes browsers reported, by source (peer, server, webseed, seeder)',
      labelNames: ['source'] as const, ...metric,
    }),
    fallbacks: new Counter({
      name: 'peerconnect_fallbacks_total', help: 'Browser fallbacks to HTTP, by reason',
      labelNames: ['reason'] as const, ...metric,
    }),
    hedges: new Counter({
      name: 'peerconnect_hedges_total', help: 'Images browsers hedged (HTTP started too because the first peer byte was late)',
      ...metric,
    }),
    hedgesWon: new Counter({
      name: 'peerconnect_hedges_won_total', help: 'Hedged images by the leg that completed first (peer or http)',
      labelNames: ['leg'] as const, ...metric,
    }),
    hedgeHttpBytes: new Counter({
      name: 'peerconnect_hedge_http_bytes_total', help: 'Bytes browsers reported fetching over the HTTP legs of hedges (the offload cost of hedging)',
      ...metric,
    }),
    offloadRatio: new Gauge({
      name: 'peerconnect_offload_ratio',
      help: 'Share of reported media bytes by scope: peer (from browsers), p2p (peer+seeder), origin (peer+seeder+webseed)',
      labelNames: ['scope'] as const, ...metric,
    }),
    reports: new Counter({
      name: 'peerconnect_reports_total', help: 'Client reports received, by result (accepted, invalid, too-large, rate-limited, unsupported-type; trimmed: accepted with implausible byte counts cut down)',
      labelNames: ['result'] as const, ...metric,
    }),
    timeToImage: new Histogram({
      name: 'peerconnect_time_to_image_seconds', help: 'Client start to image painted, as reported by browsers, by source',
      labelNames: ['source'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30], ...metric,
    }),
    peers: new Gauge({ name: 'peerconnect_peers', help: 'Connected signaling peers', ...metric }),
    swarms: new Gauge({ name: 'peerconnect_swarms', help: 'Assets with at least one holder', ...metric }),
    signalingMessages: new Counter({
      name: 'peerconnect_signaling_messages_total', help: 'Signaling messages by type and result',
      labelNames: ['type', 'result'] as const, ...metric,
    }),
    linkAttempts: new Counter({
      name: 'peerconnect_link_attempts_total',
      help: 'WebRTC connection attempts browsers reported, by result (ok, failed) and selected pair (host, srflx, relay, unknown; none when failed)',
      labelNames: ['result', 'pair'] as const, ...metric,
    }),
    natReports: new Counter({
      name: 'peerconnect_nat_reports_total', help: 'NAT kinds browsers measured and reported (open, cone, symmetric, unknown)',
      labelNames: ['nat'] as const, ...metric,
    }),
    networksHttp: new Gauge({
      name: 'peerconnect_networks_http', help: 'Visitor networks (/24, /48) whose pages load over HTTP because their WebRTC links keep failing', ...metric,
    }),
    networkHttpPages: new Counter({
      name: 'peerconnect_network_http_pages_total', help: 'Pages rewritten with every asset over HTTP because the visitor network is marked http', ...metric,
    }),
    seederUploadBytes: new Counter({
      name: 'peerconnect_seeder_upload_bytes_total', help: 'Bytes the seeder peer uploaded, by channel (datachannel, webtorrent, webseed)',
      labelNames: ['channel'] as const, ...metric,
    }),
    cacheBytes: new Gauge({ name: 'peerconnect_cache_bytes', help: 'Bytes held in the byte cache the seeder and the edge cache share', ...metric }),
    cacheLookups: new Counter({
      name: 'peerconnect_cache_lookups_total', help: 'Seeder cache lookups by result (hit, miss)',
      labelNames: ['result'] as const, ...metric,
    }),
    edgeCacheRequests: new Counter({
      name: 'peerconnect_edge_cache_requests_total', help: 'Requests the edge cache (EDGE_CACHE) took, by result (hit, miss, revalidated, stale)',
      labelNames: ['result'] as const, ...metric,
    }),
    edgeCacheNotStored: new Counter({
      name: 'peerconnect_edge_cache_not_stored_total',
      help: 'Origin responses the edge cache passed on without storing, by reason (status, no-store, private, set-cookie, credentials, vary, type, too-large, not-storable, store-error, origin-error)',
      labelNames: ['reason'] as const, ...metric,
    }),
    edgeCacheBytes: new Counter({
      name: 'peerconnect_edge_cache_served_bytes_total', help: 'Body bytes answered from the edge cache: origin bytes saved by the cache', ...metric,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
