/**
 * Signaling protocol, shared by the server (proxy/signaling), the seeder and the
 * browser client. JSON text frames over the `/__p2p/signal` WebSocket.
 *
 * Dependency-free on purpose: the browser bundle imports it, so validation is
 * hand-written here instead of pulling a schema library into every page.
 * `parseClientMessage` / `parseServerMessage` are pure and throw SignalProtocolError.
 */
export const SIGNAL_PROTOCOL_VERSION = 1;
export type SignalProtocolVersion = typeof SIGNAL_PROTOCOL_VERSION;
/** Largest frame either side accepts (SDP with many candidates stays well below). */
export const MAX_SIGNAL_MESSAGE_BYTES = 64 * 1024;
/** Most asset ids in one `have`/`want`. */
export const MAX_ASSETS_PER_MESSAGE = 512;
/** Most holders returned for one asset in `holders`. */
export const MAX_HOLDERS_PER_ASSET = 4;

/** Server-assigned peer id (opaque, URL-safe). */
export type PeerId = string;
/** Stable media asset id from the injector (`data-p2p`). */
export type AssetId = string;
export type PeerRole = 'browser' | 'seeder';

// ── client → server ─────────────────────────────────────────────────────────
/**
 * Optional for browsers (a connection is a browser until it says otherwise); if
 * sent, it must be the first message. `role: 'seeder'` needs `token` equal to the
 * proxy's ADMIN_TOKEN (or, with none set, a loopback connection), else the server
 * answers `unauthorized` and closes. The server sends `welcome` on connect, before any hello.
 */
export interface HelloMessage { v: SignalProtocolVersion; type: 'hello'; role: PeerRole; page?: string; token?: string }
export interface HaveMessage { v: SignalProtocolVersion; type: 'have'; assets: AssetId[] }
export interface LostMessage { v: SignalProtocolVersion; type: 'lost'; assets: AssetId[] }
export interface WantMessage { v: SignalProtocolVersion; type: 'want'; assets: AssetId[] }
export interface OfferMessage { v: SignalProtocolVersion; type: 'offer'; to: PeerId; session: string; sdp: string }
export interface AnswerMessage { v: SignalProtocolVersion; type: 'answer'; to: PeerId; session: string; sdp: string }
export interface CandidateMessage { v: SignalProtocolVersion; type: 'candidate'; to: PeerId; session: string; candidate: string; mid: string }
/** A peer sent bytes that failed verification: the server stops offering it for that asset. */
export interface BadPeerMessage { v: SignalProtocolVersion; type: 'bad-peer'; peer: PeerId; asset: AssetId }
export interface ByeMessage { v: SignalProtocolVersion; type: 'bye' }
/** ICE candidate types, as in RTCIceCandidate.type. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];
/**
 * How this visitor's NAT maps ports, as its client measured it: `cone` (one
 * mapping for every destination: STUN suffices), `symmetric` (a new mapping per
 * destination: only TURN works against another symmetric NAT), `open` (a host
 * candidate is already public) or `unknown`.
 */
export type NatKind = 'open' | 'cone' | 'symmetric' | 'unknown';
export const NAT_KINDS: readonly NatKind[] = ['open', 'cone', 'symmetric', 'unknown'];
/** What the client measured about its network (sent once, any time after `welcome`). */
export interface NatMessage { v: SignalProtocolVersion; type: 'nat'; nat: NatKind }
/**
 * The outcome of one connection attempt to `peer`: whether a data channel opened,
 * the local and remote candidate types of the selected pair (from getStats), the
 * local candidate types that were gathered, and the time it took.
 */
export interface LinkReportMessage {
  v: SignalProtocolVersion; type: 'link'; peer: PeerId; ok: boolean;
  local?: CandidateType; remote?: CandidateType; gathered: CandidateType[]; ms: number;
}

export type ClientMessage =
  | HelloMessage | HaveMessage | LostMessage | WantMessage | OfferMessage | AnswerMessage
  | CandidateMessage | BadPeerMessage | ByeMessage | NatMessage | LinkReportMessage;
export type ClientMessageType = ClientMessage['type'];

// ── server → client ─────────────────────────────────────────────────────────
/** One ICE server, as RTCIceServer: TURN entries carry a username and credential (ephemeral ones are minted per visitor). */
export interface IceServer { urls: string | string[]; username?: string; credential?: string }
export interface WelcomeMessage { v: SignalProtocolVersion; type: 'welcome'; id: PeerId; iceServers: IceServer[] }
/**
 * `seeders` (optional) names which of `peers` are server-side seeders, so the
 * client can report their bytes as `seeder` rather than `peer`. `busy`
 * (optional, with no `peers`): how many holders exist but have no free upload
 * slot now, so the asker waits for one instead of taking "nobody" for a stall.
 */
export interface HoldersMessage { v: SignalProtocolVersion; type: 'holders'; asset: AssetId; peers: PeerId[]; seeders?: PeerId[]; busy?: number }
export interface RelayedOffer { v: SignalProtocolVersion; type: 'offer'; from: PeerId; session: string; sdp: string }
export interface RelayedAnswer { v: SignalProtocolVersion; type: 'answer'; from: PeerId; session: string; sdp: string }
export interface RelayedCandidate { v: SignalProtocolVersion; type: 'candidate'; from: PeerId; session: string; candidate: string; mid: string }
export interface PeerGoneMessage { v: SignalProtocolVersion; type: 'peer-gone'; peer: PeerId }
export interface ErrorMessage { v: SignalProtocolVersion; type: 'error'; code: SignalErrorCode; message: string }

export type ServerMessage =
  | WelcomeMessage | HoldersMessage | RelayedOffer | RelayedAnswer | RelayedCandidate | PeerGoneMessage | ErrorMessage;

export type SignalErrorCode =
  | 'bad-json' | 'too-large' | 'bad-message' | 'unknown-type' | 'unknown-peer' | 'not-paired'
  | 'rate-limited' | 'not-ready' | 'unsupported-version' | 'unauthorized';

export class SignalProtocolError extends Error {
  /** What was wrong; sent to the peer as the `code` of an `error` message. */
  readonly reason: SignalErrorCode;

  constructor(reason: SignalErrorCode, message: string) {
    super(message);
    this.name = 'SignalProtocolError';
    this.reason = reason;
  }

  /** @deprecated Read `reason`; kept while callers move over. */
  get code(): SignalErrorCode {
    return this.reason;
  }
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_SDP_CHARS = 32 * 1024;
const MAX_CANDIDATE_CHARS = 1024;
const MAX_PAGE_CHARS = 2048;

type Json = Record<string, unknown>;

function fail(code: SignalErrorCode, message: string): never {
  throw new SignalProtocolError(code, message);
}

function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) fail('bad-message', `${field}: expected an id`);
  return value;
}

function text(value: unknown, field: string, max: number, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length > max) fail('bad-message', `${field}: expected a string of at most ${max} characters`);
  return value;
}

function idList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length > MAX_ASSETS_PER_MESSAGE) {
    fail('bad-message', `${field}: expected at most ${MAX_ASSETS_PER_MESSAGE} ids`);
  }
  return value.map((item, i) => id(item, `${field}[${i}]`));
}

function envelope(raw: string | Json): Json {
  if (typeof raw === 'string') {
    if (raw.length > MAX_SIGNAL_MESSAGE_BYTES) fail('too-large', `message over ${MAX_SIGNAL_MESSAGE_BYTES} bytes`);
    try {
      raw = JSON.parse(raw) as Json;
    } catch {
      fail('bad-json', 'message is not JSON');
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('bad-message', 'message must be an object');
  if (raw.v !== SIGNAL_PROTOCOL_VERSION) fail('unsupported-version', `v: expected ${SIGNAL_PROTOCOL_VERSION}`);
  if (typeof raw.type !== 'string') fail('bad-message', 'type: expected a string');
  return raw;
}

/** Fields of a relayed offer/answer, the same in both directions. */
function descriptionFields(m: Json): { session: string; sdp: string } {
  return { session: id(m.session, 'session'), sdp: text(m.sdp, 'sdp', MAX_SDP_CHARS) as string };
}

/** Fields of a relayed ICE candidate, the same in both directions. */
function candidateFields(m: Json): { session: string; candidate: string; mid: string } {
  return {
    session: id(m.session, 'session'),
    candidate: text(m.candidate, 'candidate', MAX_CANDIDATE_CHARS) as string,
    mid: text(m.mid, 'mid', 64) as string,
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) fail('bad-message', `${field}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

/** Longest connection attempt worth reporting (anything longer is a client clock problem). */
const MAX_LINK_MS = 120_000;
/** Most ICE servers a welcome may carry, and most URLs per server. */
const MAX_ICE_SERVERS = 8;
const MAX_ICE_URLS = 8;

function iceServerList(value: unknown): IceServer[] {
  if (!Array.isArray(value) || value.length > MAX_ICE_SERVERS) fail('bad-message', `iceServers: expected at most ${MAX_ICE_SERVERS} entries`);
  return value.map((entry: unknown, i) => {
    // Older servers sent bare URL strings.
    if (typeof entry === 'string') return { urls: text(entry, `iceServers[${i}]`, 512) as string };
    if (entry === null || typeof entry !== 'object') fail('bad-message', `iceServers[${i}]: expected an object`);
    const e = entry as Json;
    const urls = Array.isArray(e.urls)
      ? (e.urls.length > 0 && e.urls.length <= MAX_ICE_URLS ? e.urls.map((u, j) => text(u, `iceServers[${i}].urls[${j}]`, 512) as string) : fail('bad-message', `iceServers[${i}].urls`))
      : text(e.urls, `iceServers[${i}].urls`, 512) as string;
    const username = text(e.username, `iceServers[${i}].username`, 512, true);
    const credential = text(e.credential, `iceServers[${i}].credential`, 512, true);
    return { urls, ...(username !== undefined ? { username } : {}), ...(credential !== undefined ? { credential } : {}) };
  });
}

type ClientParsers = { [T in ClientMessageType]: (m: Json) => Extract<ClientMessage, { type: T }> };

/**
 * One schema per client message type. The mapped type makes the compiler insist
 * on exactly one entry per member of ClientMessage, so CLIENT_MESSAGE_TYPES below
 * cannot drift from what the parser accepts.
 */
const CLIENT_PARSERS: ClientParsers = {
  hello: (m) => {
    if (m.role !== 'browser' && m.role !== 'seeder') fail('bad-message', 'role: expected browser or seeder');
    const page = text(m.page, 'page', MAX_PAGE_CHARS, true);
    const token = text(m.token, 'token', 256, true);
    return { v: SIGNAL_PROTOCOL_VERSION, type: 'hello', role: m.role, ...(page !== undefined ? { page } : {}), ...(token !== undefined ? { token } : {}) };
  },
  have: (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'have', assets: idList(m.assets, 'assets') }),
  lost: (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'lost', assets: idList(m.assets, 'assets') }),
  want: (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'want', assets: idList(m.assets, 'assets') }),
  offer: (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'offer', to: id(m.to, 'to'), ...descriptionFields(m) }),
  answer: (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'answer', to: id(m.to, 'to'), ...descriptionFields(m) }),
  candidate: (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'candidate', to: id(m.to, 'to'), ...candidateFields(m) }),
  'bad-peer': (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'bad-peer', peer: id(m.peer, 'peer'), asset: id(m.asset, 'asset') }),
  bye: () => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'bye' }),
  nat: (m) => ({ v: SIGNAL_PROTOCOL_VERSION, type: 'nat', nat: oneOf(m.nat, NAT_KINDS, 'nat') }),
  link: (m) => {
    if (typeof m.ok !== 'boolean') fail('bad-message', 'ok: expected a boolean');
    if (!Array.isArray(m.gathered) || m.gathered.length > CANDIDATE_TYPES.length) fail('bad-message', 'gathered: expected candidate types');
    const gathered = [...new Set(m.gathered.map((t, i) => oneOf(t, CANDIDATE_TYPES, `gathered[${i}]`)))];
    if (typeof m.ms !== 'number' || !Number.isFinite(m.ms) || m.ms < 0 || m.ms > MAX_LINK_MS) fail('bad-message', `ms: expected 0..${MAX_LINK_MS}`);
    const local = m.local === undefined ? undefined : oneOf(m.local, CANDIDATE_TYPES, 'local');
    const remote = m.remote === undefined ? undefined : oneOf(m.remote, CANDIDATE_TYPES, 'remote');
    return {
      v: SIGNAL_PROTOCOL_VERSION, type: 'link', peer: id(m.peer, 'peer'), ok: m.ok, gathered, ms: Math.round(m.ms),
      ...(local !== undefined ? { local } : {}), ...(remote !== undefined ? { remote } : {}),
    };
  },
};

/** Every message type a peer may send, as the parser knows them (e.g. for metric labels). */
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = /* @__PURE__ */ Object.freeze(/* @__PURE__ */ Object.keys(CLIENT_PARSERS) as ClientMessageType[]);

/** Own keys only, so `constructor` or `__proto__` from a peer never counts as a type. */
export function isClientMessageType(type: string): type is ClientMessageType {
  return Object.hasOwn(CLIENT_PARSERS, type);
}

/** Validates one frame from a peer; returns a fresh object holding only known fields. */
export function parseClientMessage(raw: string | Json): ClientMessage {
  const m = envelope(raw);
  const type = m.type as string;
  if (!isClientMessageType(type)) return fail('unknown-type', 'type: unknown message type');
  return CLIENT_PARSERS[type](m);
}

/** Validates one frame from the server (used by the client and the external seeder). */
export function parseServerMessage(raw: string | Json): ServerMessage {
  const m = envelope(raw);
  switch (m.type) {
    case 'welcome': {
      return { v: SIGNAL_PROTOCOL_VERSION, type: 'welcome', id: id(m.id, 'id'), iceServers: iceServerList(m.iceServers) };
    }
    case 'holders': {
      const peers = idList(m.peers, 'peers');
      const seeders = m.seeders === undefined ? undefined : idList(m.seeders, 'seeders').filter((s) => peers.includes(s));
      if (m.busy !== undefined && (!Number.isInteger(m.busy) || (m.busy as number) < 1 || (m.busy as number) > MAX_HOLDERS_PER_ASSET)) {
        fail('bad-message', `busy: expected an integer from 1 to ${MAX_HOLDERS_PER_ASSET}`);
      }
      const busy = m.busy as number | undefined;
      return { v: SIGNAL_PROTOCOL_VERSION, type: 'holders', asset: id(m.asset, 'asset'), peers, ...(seeders ? { seeders } : {}), ...(busy !== undefined ? { busy } : {}) };
    }
    case 'offer':
    case 'answer':
      return { v: SIGNAL_PROTOCOL_VERSION, type: m.type, from: id(m.from, 'from'), ...descriptionFields(m) };
    case 'candidate':
      return { v: SIGNAL_PROTOCOL_VERSION, type: 'candidate', from: id(m.from, 'from'), ...candidateFields(m) };
    case 'peer-gone': return { v: SIGNAL_PROTOCOL_VERSION, type: 'peer-gone', peer: id(m.peer, 'peer') };
    case 'error': return { v: SIGNAL_PROTOCOL_VERSION, type: 'error', code: text(m.code, 'code', 64) as SignalErrorCode, message: text(m.message, 'message', 512) as string };
    default: return fail('unknown-type', 'type: unknown message type');
  }
}
