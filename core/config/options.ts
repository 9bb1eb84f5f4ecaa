import { z } from 'zod';
import { MEDIA_KINDS } from '../../protocol/media.js';

/**
 * Every PeerConnect option, declared once: its JSON-file key, its env var, how an
 * env string is read, its schema, default and documentation. `--help`, the README
 * table and the config loader are all generated from this list so they never drift.
 */
export type EnvKind = 'int' | 'bool' | 'list' | 'string';

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

const nonNegativeInt = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();
const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be http(s)');

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
    doc: 'Deadline for one image from peers before the browser falls back to HTTP.',
  }),
  iceServers: option({
    key: 'iceServers', env: 'P2P_ICE_SERVERS', kind: 'list',
    schema: z.array(z.string().regex(/^(stun|turns?):[^\s<>"']+$/)).default([]),
    expected: 'a list of stun:/turn: URLs',
    doc: 'STUN/TURN servers handed to browsers and the seeder (none by default).',
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
    doc: 'Upper bound of the seeder byte cache.',
  }),
  originTimeoutMs: option({
    key: 'originTimeoutMs', env: 'ORIGIN_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(30_000),
    expected: 'a positive integer (milliseconds)',
    doc: 'Time to wait for the origin response headers before answering 504.',
  }),
  shutdownTimeoutMs: option({
    key: 'shutdownTimeoutMs', env: 'SHUTDOWN_TIMEOUT_MS', kind: 'int',
    schema: positiveInt.default(10_000),
    expected: 'a positive integer (milliseconds)',
    doc: 'On SIGTERM, how long in-flight requests may finish.',
  }),
  trustProxy: option({
    key: 'trustProxy', env: 'TRUST_PROXY', kind: 'list',
    schema: z.array(z.string().min(1)).default([]),
    expected: 'a list of proxy IP addresses',
    doc: 'Peers whose X-Forwarded-For is believed (off by default).',
  }),
  redisUrl: option({
    key: 'redisUrl', env: 'REDIS_URL', kind: 'string',
    schema: z.string().regex(/^rediss?:\/\//).optional(),
    expected: 'a redis:// URL',
    doc: 'Redis for sharing the peer registry across proxy instances.',
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
} as const;

export type OptionName = keyof typeof OPTIONS;
export type Config = { readonly [K in OptionName]: z.output<(typeof OPTIONS)[K]['schema']> };
