import { isIP } from 'node:net';
import { z } from 'zod';
import { MEDIA_KINDS } from '../../protocol/media.js';
import type { IceServer } from '../../protocol/signal-messages.js';

/**
 * Every PeerConnect option, declared once: its JSON-file key, its env var, how an
 * env string is read, its schema, default and documentation. `--help`, the README
 * table and the config loader are all generated from this list so they never drift.
 */
export type EnvKind = 'int' | 'bool' | 'list' | 'string' | 'json-or-list';

export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  /** Key in the JSON config file (the original PeerConnect names are kept). */
  readonly key: string;
  /** Environment variable that overrides the file. */
  readonly env: string;
  readonly kind: EnvKind;
  readonly schema: S;
  /** Human wording of what a valid value looks like, used in error messages. */
  readonly expected: string;
  readonly doc: string;
}

/** EDGE_CACHE: what the proxy's own HTTP cache keeps. */
export const EDGE_CACHE_MODES = ['off', 'media', 'static'] as const;
export type EdgeCacheMode = (typeof EDGE_CACHE_MODES)[number];

const nonNegativeInt = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();
const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be http(s)');

/**
 * Bounds of the ICE server list: the signaling parser refuses a welcome with
 * more than 8 entries, and one is kept for the minted TURN entry.
 */
const MAX_ICE_SERVERS = 7;
const MAX_ICE_URLS = 8;
const MAX_ICE_TEXT = 512;
const ICE_URL = /^(stuns?|turns?):[^\s<>"']+$/;
const TURN_URL = /^turns?:[^\s<>"']+$/;
/** A DNS name (no wildcard, no IP address literal: ACME HTTP-01 proves neither). */
const DNS_NAME = /^(?=.{1,253}$)(?!\d+(\.\d+)*$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** Let's Encrypt allows 100 names per certificate. */
const MAX_ACME_DOMAINS = 100;
/** WORKERS: more processes than this is a typo, not a machine. */
const MAX_WORKERS = 64;
const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
/** Refinement messages the loader appends to the option's error (`params.detail`). */
const detail = (message: string) => ({ message, params: { detail: true } });

/**
 * One entry of iceServers: a bare URL (read as `{ urls }`) or an RTCIceServer
 * object. Static turn:/turns: entries need their username and credential;
 * ephemeral ones come from TURN_URLS + TURN_SECRET instead.
 */
const iceServerEntry = z
  .union([
    z.string().max(MAX_ICE_TEXT).transform((urls): IceServer => ({ urls })),
    z.object({
      urls: z.union([z.string().max(MAX_ICE_TEXT), z.array(z.string().max(MAX_ICE_TEXT)).min(1).max(MAX_ICE_URLS)]),
      username: z.string().min(1).max(MAX_ICE_TEXT).optional(),
      credential: z.string().min(1).max(MAX_ICE_TEXT).optional(),
    }).strict().transform((entry): IceServer => ({ ...entry })),
  ])
  .superRefine((entry, ctx) => {
    const urls = typeof entry.urls === 'string' ? [entry.urls] : entry.urls;
    const bad = urls.find((url) => !ICE_URL.test(url));
    if (bad !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, ...detail(`${JSON.stringify(bad)} is not a stun:, stuns:, turn: or turns: URL`) });
      return;
    }
    const turn = urls.find((url) => TURN_URL.test(url));
    if (turn !== undefined && (entry.username === undefined || entry.credential === undefined)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        ...detail(`${JSON.stringify(turn)} needs a username and credential (or set TURN_URLS and TURN_SECRET for minted ones)`),
      });
    }
  });

/** A TRUST_PROXY entry: an IP address, a CIDR block, or `loopback`. */
function isTrustProxyEntry(entry: string): boolean {
  if (entry === 'loopback' || isIP(entry) !== 0) return true;
  const match = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  const family = match ? isIP(match[1] as string) : 0;
  return family !== 0 && Number(match?.[2]) <= (family === 4 ? 32 : 128);
}

function option<S extends z.ZodType>(spec: OptionSpec<S>): OptionSpec<S> {
  return spec;
}

export const OPTIONS = {
  threshold: option({
    key: 'threshold', env: 'P2P_THRESHOLD', kind: 'int',
    schema: nonNegativeInt.default(3),
    expected: 'a non-negative integer',
    doc: 'Visitors who load an asset over HTTP before later visitors get it from peers.',
  }),
  mediaTypes: option({
    key: 'mediaTypes', env: 'P2P_MEDIA_TYPES', kind: 'list',
    schema: z.array(z.enum(MEDIA_KINDS)).default([...MEDIA_KINDS]),
    expected: 'a list of image, video, audio',
    doc: 'Media kinds delivered peer-to-peer.',
  }),
  excludeFormats: option({
    key: 'excludeFormats', env: 'P2P_EXCLUDE_FORMATS', kind: 'list',
    schema: z.array(z.string().regex(/^[a-z0-9]{1,10}$/i).transform((s) => s.toLowerCase())).default(['gif']),
    expected: 'a list of file extensions such as gif,svg',
    doc: 'File formats (by extension) that always load over HTTP.',
  }),
  foldLoading: option({
    key: 'foldLoading', env: 'P2P_FOLD_LOADING', kind: 'bool',
    schema: z.boolean().default(false),
    expected: 'true or false',
    doc: 'When true, above-the-fold images always load from the server.',
  }),
  foldCount: option({
    key: 'foldCount', env: 'P2P_FOLD_COUNT', kind: 'int',
    schema: nonNegativeInt.default(4),
    expected: 'a non-negative integer',
    doc: 'With foldLoading, how many images (in document order) count as above the fold.',
  }),
  geoLocate: option({
    key: 'geoLocate', env: 'P2P_GEO_LOCATE', kind: 'bool',
    schema: z.boolean().default(true),
    expected: 'true or false',
    doc: 'Pair the closest peers first (same subnet, then country).',
  }),
  videoRoute: option({
    key: 'videoRoute', env: 'P2P_VIDEO_ROUTE', kind: 'string',
    schema: z.string().min(1).default('./assets/videos'),
    expected: 'a directory path',
    doc: 'Directory of local videos to pre-build torrents for (with --prebuild).',
  }),
  torrentRoute: option({
    key: 'torrentRoute', env: 'P2P_TORRENT_ROUTE', kind: 'string',
    schema: z.string().min(1).default('./assets'),
    expected: 'a directory path',
    doc: 'Directory where .torrent files are written (under torrents/).',
  }),
  domainName: option({
    key: 'domainName', env: 'P2P_DOMAIN_NAME', kind: 'string',
    schema: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i).optional(),
    expected: 'a host name such as www.example.com',
    doc: 'Public host name of the site; media on this host count as same-origin.',
  }),
  imageMaxBytes: option({
    key: 'imageMaxBytes', env: 'P2P_IMAGE_MAX_BYTES', kind: 'int',
    schema: positiveInt.default(10 * 1024 * 1024),
    expected: 'a positive integer (bytes)',
    doc: 'Images larger than this are never offered peer-to-peer.',
  }),
  peerTimeoutMs: option({
    key: 'peerTimeoutMs', env: 'P2P_PEER_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(2000),
    expected: 'a positive integer (milliseconds)',
    doc: 'How long loading one image from peers may make no progress (no free holder, no bytes on its link) before the browser falls back to HTTP; 5× this in all at most.',
  }),
  hedgeMs: option({
    key: 'hedgeMs', env: 'P2P_HEDGE_MS', kind: 'int',
    schema: nonNegativeInt.optional(),
    expected: 'a non-negative integer (milliseconds)',
    doc: 'Hedged fallback: when an image\'s first peer byte has not arrived within this many ms, the browser starts HTTP too and paints whichever completes first (0: never hedge). Unset: 3× the visitor\'s own median HTTP image time, at least 1000 ms, at most the image\'s whole peer budget (5× P2P_PEER_TIMEOUT_MS).',
  }),
  lcpHttp: option({
    key: 'lcpHttp', env: 'P2P_LCP_HTTP', kind: 'bool',
    schema: z.boolean().default(true),
    expected: 'true or false',
    doc: 'LCP-aware parking: the parked image covering most of the first viewport (the likely Largest Contentful Paint) loads over HTTP, since a fresh page view gets its first peer byte several round trips after HTTP would have painted it; false: it waits for peers like the others.',
  }),
  iceServers: option({
    key: 'iceServers', env: 'P2P_ICE_SERVERS', kind: 'json-or-list',
    schema: z.array(iceServerEntry).max(MAX_ICE_SERVERS).default([]),
    expected: 'a comma list of stun:/stuns:/turn:/turns: URLs, or a JSON array of {"urls","username","credential"} (turn: entries need username and credential)',
    doc: 'STUN/TURN servers handed to browsers and the seeder: a comma list of URLs, or a JSON array of RTCIceServer objects (none by default).',
  }),
  turnUrls: option({
    key: 'turnUrls', env: 'TURN_URLS', kind: 'list',
    schema: z.array(z.string().regex(TURN_URL)).max(MAX_ICE_URLS).default([]),
    expected: 'a comma list of turn:/turns: URLs such as turn:turn.example.com:3478?transport=udp',
    doc: 'TURN servers (coturn with use-auth-secret) for which each visitor gets fresh credentials; needs TURN_SECRET.',
  }),
  turnSecret: option({
    key: 'turnSecret', env: 'TURN_SECRET', kind: 'string',
    schema: z.string().min(8).optional(),
    expected: 'a secret of at least 8 characters (coturn static-auth-secret)',
    doc: 'Shared secret with the TURN server (coturn static-auth-secret); never sent to browsers or logged.',
  }),
  turnTtlS: option({
    key: 'turnTtlS', env: 'TURN_TTL_S', kind: 'int',
    schema: z.number().int().min(60).max(7 * 24 * 3600).default(3600),
    expected: 'an integer from 60 to 604800 (seconds)',
    doc: 'Lifetime of minted TURN credentials; a reconnect to signaling gets fresh ones.',
  }),
  stunPort: option({
    key: 'stunPort', env: 'STUN_PORT', kind: 'string',
    schema: z.union([
      z.literal('off'),
      z.number().int().min(0).max(65535),
      z.string().regex(/^\d{1,5}$/).transform(Number).pipe(z.number().int().min(0).max(65535)),
    ]).default(3478),
    expected: 'a UDP port number 0-65535, or off',
    doc: 'UDP port of the built-in STUN responder, started only when no ICE servers and no TURN are configured (0: any free port; off: never).',
  }),
  privacy: option({
    key: 'privacy', env: 'P2P_PRIVACY', kind: 'string',
    schema: z.enum(['normal', 'strict']).default('normal'),
    expected: 'normal or strict',
    doc: 'strict keeps full IP addresses and secrets out of logs.',
  }),
  prefix: option({
    key: 'prefix', env: 'P2P_PREFIX', kind: 'string',
    schema: z.string().regex(/^\/[A-Za-z0-9_~.-]+$/).default('/__p2p'),
    expected: 'a path such as /__p2p',
    doc: 'Reserved URL prefix for PeerConnect routes.',
  }),
  origin: option({
    key: 'origin', env: 'ORIGIN', kind: 'string',
    schema: httpUrl.optional(),
    expected: 'an http(s) URL such as http://127.0.0.1:3000',
    doc: 'The site to proxy. Unset: a built-in demo site is started and proxied.',
  }),
  port: option({
    key: 'port', env: 'PORT', kind: 'int',
    schema: z.number().int().min(0).max(65535).default(8080),
    expected: 'a port number 0-65535',
    doc: 'Port the proxy listens on (0 picks a free port).',
  }),
  host: option({
    key: 'host', env: 'HOST', kind: 'string',
    schema: z.string().min(1).default('0.0.0.0'),
    expected: 'an interface address',
    doc: 'Interface the proxy listens on.',
  }),
  tlsCertFile: option({
    key: 'tlsCertFile', env: 'TLS_CERT_FILE', kind: 'string',
    schema: z.string().min(1).optional(),
    expected: 'a path to a PEM certificate chain (leaf first)',
    doc: 'With TLS_KEY_FILE: PORT serves HTTPS (HTTP/2 and HTTP/1.1). Reloaded when the file changes or on SIGHUP, without dropping connections.',
  }),
  tlsKeyFile: option({
    key: 'tlsKeyFile', env: 'TLS_KEY_FILE', kind: 'string',
    schema: z.string().min(1).optional(),
    expected: 'a path to the PEM private key of TLS_CERT_FILE',
    doc: 'Private key of TLS_CERT_FILE (both or neither).',
  }),
  httpPort: option({
    key: 'httpPort', env: 'HTTP_PORT', kind: 'string',
    schema: z.union([
      z.literal('off'),
      z.number().int().min(0).max(65535),
      z.string().regex(/^\d{1,5}$/).transform(Number).pipe(z.number().int().min(0).max(65535)),
    ]).optional(),
    expected: 'a port number 0-65535, or off',
    doc: 'With TLS: plain-HTTP port that answers 301 to HTTPS and serves ACME HTTP-01 challenges (default 80 when TLS is on; 0: any free port; off: none). Unused without TLS.',
  }),
  internalPort: option({
    key: 'internalPort', env: 'INTERNAL_PORT', kind: 'int',
    schema: z.number().int().min(0).max(65535).optional(),
    expected: 'a port number 0-65535',
    doc: 'A second, plain-HTTP listener (same HOST) serving everything PORT serves, for an external seeder and health checks on a private network when PORT speaks TLS. Never publish it.',
  }),
  publicUrl: option({
    key: 'publicUrl', env: 'PUBLIC_URL', kind: 'string',
    schema: httpUrl.optional(),
    expected: 'an http(s) URL such as https://www.example.com',
    doc: 'URL visitors use to reach the proxy (default: from the request Host).',
  }),
  adminToken: option({
    key: 'adminToken', env: 'ADMIN_TOKEN', kind: 'string',
    schema: z.string().min(16).optional(),
    expected: 'a secret of at least 16 characters',
    doc: 'Bearer token guarding metrics, stats and dashboard.',
  }),
  adminPort: option({
    key: 'adminPort', env: 'ADMIN_PORT', kind: 'int',
    schema: z.number().int().min(0).max(65535).optional(),
    expected: 'a port number 0-65535',
    doc: 'When set, metrics, stats and dashboard are served only on this second port (same HOST), not on PORT.',
  }),
  logLevel: option({
    key: 'logLevel', env: 'LOG_LEVEL', kind: 'string',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    expected: 'one of fatal, error, warn, info, debug, trace, silent',
    doc: 'Log level (JSON logs on stdout).',
  }),
  cacheMaxBytes: option({
    key: 'cacheMaxBytes', env: 'CACHE_MAX_BYTES', kind: 'int',
    schema: positiveInt.default(256 * 1024 * 1024),
    expected: 'a positive integer (bytes)',
    doc: 'Upper bound of the byte cache the seeder and the edge cache share (memory and spill files together).',
  }),
  edgeCache: option({
    key: 'edgeCache', env: 'EDGE_CACHE', kind: 'string',
    schema: z.enum(EDGE_CACHE_MODES).default('media'),
    expected: 'one of off, media, static',
    doc: 'Shared HTTP cache (RFC 9111) in the proxy: off; media (the mediaTypes: images, video, audio); static (media plus CSS, JS and fonts). Responses carry X-Cache: HIT, MISS, REVALIDATED or STALE (served while revalidating); POST <prefix>/purge (admin) forgets entries.',
  }),
  originTimeoutMs: option({
    key: 'originTimeoutMs', env: 'ORIGIN_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(30_000),
    expected: 'a positive integer (milliseconds)',
    doc: 'Time to wait for the origin response headers before answering 504.',
  }),
  originIdleTimeoutMs: option({
    key: 'originIdleTimeoutMs', env: 'ORIGIN_IDLE_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(300_000),
    expected: 'a positive integer (milliseconds)',
    doc: 'Longest silence inside an origin response body before it is cut; generous so Server-Sent Events and long polls pass.',
  }),
  originCaFile: option({
    key: 'originCaFile', env: 'ORIGIN_CA_FILE', kind: 'string',
    schema: z.string().min(1).optional(),
    expected: 'a path to a PEM file of CA certificates',
    doc: 'Extra CA certificates trusted for an https:// ORIGIN (requests and WebSocket upgrades), e.g. a private CA; the system CAs stay trusted.',
  }),
  shutdownTimeoutMs: option({
    key: 'shutdownTimeoutMs', env: 'SHUTDOWN_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(10_000),
    expected: 'a positive integer (milliseconds)',
    doc: 'On SIGTERM, how long in-flight requests may finish.',
  }),
  clientHeadersTimeoutMs: option({
    key: 'clientHeadersTimeoutMs', env: 'CLIENT_HEADERS_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(30_000),
    expected: 'a positive integer (milliseconds)',
    doc: 'Time a visitor has to send complete request headers (HTTP/1.1); a slower connection (slowloris) is answered 408 and closed.',
  }),
  clientRequestTimeoutMs: option({
    key: 'clientRequestTimeoutMs', env: 'CLIENT_REQUEST_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(300_000),
    expected: 'a positive integer (milliseconds)',
    doc: 'Time a visitor has to send a whole request, body included (HTTP/1.1); a slower upload is answered 408 and closed.',
  }),
  trustProxy: option({
    key: 'trustProxy', env: 'TRUST_PROXY', kind: 'list',
    schema: z.array(z.string().refine(isTrustProxyEntry)).default([]),
    expected: 'a comma list of proxy addresses, CIDR blocks (10.0.0.0/8) or loopback',
    doc: 'Load balancers or TLS terminators in front (addresses, CIDR blocks, loopback): from them X-Forwarded-For/Proto/Host are believed and passed on. Unset: the socket address is the visitor.',
  }),
  seederToken: option({
    key: 'seederToken', env: 'SEEDER_TOKEN', kind: 'string',
    schema: z.string().min(16).optional(),
    expected: 'a secret of at least 16 characters',
    doc: 'Secret a seeder presents to take the seeder role (an external seeder sets the same value). Unset: ADMIN_TOKEN; neither set: a random per-process secret only the embedded seeder knows.',
  }),
  redisUrl: option({
    key: 'redisUrl', env: 'REDIS_URL', kind: 'string',
    schema: z.string().regex(/^rediss?:\/\//).optional(),
    expected: 'a redis:// URL',
    doc: 'Redis shared by several proxy instances behind one load balancer: who holds what, and signaling between visitors on different instances. Unset: this instance keeps peers to itself. While Redis is unreachable, HTTP is unaffected and P2P stays within each instance.',
  }),
  redisPeerTtlMs: option({
    key: 'redisPeerTtlMs', env: 'REDIS_PEER_TTL_MS', kind: 'int',
    schema: z.number().int().min(1_000).max(30_000).default(15_000),
    expected: 'an integer from 1000 to 30000 (milliseconds)',
    doc: 'With REDIS_URL: each instance refreshes its liveness every third of this; the peers of an instance that stopped refreshing (crashed) are forgotten by the others within this plus a third.',
  }),
  workers: option({
    key: 'workers', env: 'WORKERS', kind: 'int',
    schema: z.number().int().min(1).max(MAX_WORKERS).default(1),
    expected: `an integer from 1 to ${MAX_WORKERS}`,
    doc: 'Processes serving PORT (node:cluster workers sharing the listening sockets, each a REDIS_URL instance of its own; needs REDIS_URL above 1). The embedded seeder runs in worker 1 only. About one per core.',
  }),
  trackerUrl: option({
    key: 'trackerUrl', env: 'P2P_TRACKER_URL', kind: 'string',
    schema: z.string().url().refine((value) => /^wss?:\/\/[^/?#]/i.test(value), 'must be ws:// or wss://').optional(),
    expected: 'a ws:// or wss:// WebTorrent tracker URL such as wss://tracker.example.com/announce',
    doc: 'External WebTorrent tracker (aquatic_ws, wt-tracker, bittorrent-tracker) for video and audio swarms: served torrents, the page config, the embedded and the external seeder all announce there (give an external seeder the same value; wss:// when pages are https). Unset: the embedded tracker at <prefix>/tracker, which stays up either way but is then not advertised.',
  }),
  seederMode: option({
    key: 'seederMode', env: 'SEEDER_MODE', kind: 'string',
    schema: z.enum(['embedded', 'external', 'off']).default('embedded'),
    expected: 'embedded, external or off',
    doc: 'Run the server-side seeder peer in-process, as its own process, or not at all.',
  }),
  seederUploadBytesPerSec: option({
    key: 'seederUploadBytesPerSec', env: 'SEEDER_UPLOAD_BPS', kind: 'int',
    schema: positiveInt.default(20 * 1024 * 1024),
    expected: 'a positive integer (bytes per second)',
    doc: 'Upload budget of the seeder peer.',
  }),
  seederMaxPeers: option({
    key: 'seederMaxPeers', env: 'SEEDER_MAX_PEERS', kind: 'int',
    schema: positiveInt.default(50),
    expected: 'a positive integer',
    doc: 'Concurrent WebRTC peers the seeder serves.',
  }),
  signalMaxPeers: option({
    key: 'signalMaxPeers', env: 'SIGNAL_MAX_PEERS', kind: 'int',
    schema: positiveInt.default(20_000),
    expected: 'a positive integer',
    doc: 'Concurrent signaling connections this proxy accepts (over it: 503).',
  }),
  signalMaxPeersPerIp: option({
    key: 'signalMaxPeersPerIp', env: 'SIGNAL_MAX_PEERS_PER_IP', kind: 'int',
    schema: positiveInt.default(32),
    expected: 'a positive integer',
    doc: 'Concurrent signaling and tracker connections from one client address (over it: 429).',
  }),
  signalHeartbeatMs: option({
    key: 'signalHeartbeatMs', env: 'SIGNAL_HEARTBEAT_MS', kind: 'int',
    schema: z.number().int().min(50).default(30_000),
    expected: 'an integer of at least 50 (milliseconds)',
    doc: 'Ping interval of signaling sockets; a peer silent for two intervals is dropped.',
  }),
  proxyUrl: option({
    key: 'proxyUrl', env: 'PROXY_URL', kind: 'string',
    schema: httpUrl.optional(),
    expected: 'an http(s) URL of the proxy',
    doc: 'For an external seeder: the proxy whose signaling it joins.',
  }),
  acmeDomains: option({
    key: 'acmeDomains', env: 'ACME_DOMAINS', kind: 'list',
    schema: z.array(z.string().regex(DNS_NAME).transform((s) => s.toLowerCase())).max(MAX_ACME_DOMAINS).default([]),
    expected: `a comma list of up to ${MAX_ACME_DOMAINS} DNS names such as example.com,www.example.com (no wildcards: HTTP-01 cannot prove them)`,
    doc: 'Names to get a certificate for over ACME (HTTP-01 on HTTP_PORT): PORT serves HTTPS with it, renewed automatically. Not with TLS_CERT_FILE.',
  }),
  acmeEmail: option({
    key: 'acmeEmail', env: 'ACME_EMAIL', kind: 'string',
    schema: z.string().email().optional(),
    expected: 'an email address',
    doc: 'Contact address of the ACME account (expiry and policy mail from the CA).',
  }),
  acmeDirectoryUrl: option({
    key: 'acmeDirectoryUrl', env: 'ACME_DIRECTORY_URL', kind: 'string',
    schema: z.string().url().refine((value) => /^https:\/\//i.test(value), 'must be https').default(LETS_ENCRYPT_DIRECTORY),
    expected: 'an https:// URL of an ACME directory',
    doc: "ACME directory to order from (default: Let's Encrypt production; its staging is https://acme-staging-v02.api.letsencrypt.org/directory).",
  }),
  acmeStateDir: option({
    key: 'acmeStateDir', env: 'ACME_STATE_DIR', kind: 'string',
    schema: z.string().min(1).optional(),
    expected: 'a directory path',
    doc: 'Where the ACME account key and the current certificate are kept (created 0700, files 0600); keep it across restarts. Default: acme/ under P2P_TORRENT_ROUTE.',
  }),
  acmeCaFile: option({
    key: 'acmeCaFile', env: 'ACME_CA_FILE', kind: 'string',
    schema: z.string().min(1).optional(),
    expected: 'a path to a PEM file of CA certificates',
    doc: "Extra CA certificates trusted for ACME_DIRECTORY_URL's HTTPS (a private ACME CA); the system CAs stay trusted.",
  }),
} as const;

export type OptionName = keyof typeof OPTIONS;
export type Config = { readonly [K in OptionName]: z.output<(typeof OPTIONS)[K]['schema']> };
