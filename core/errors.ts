/**
 * One catalog of PeerConnect errors with stable codes, so logs, metrics and HTTP
 * answers name failures the same way everywhere. Every HTTP error answer the
 * server sends (page, JSON or a bare status) is built from an entry here by the
 * helpers in core/http/error-response.ts, which also put the code in the
 * `x-peerconnect-error` header.
 */
export interface ErrorDefinition {
  /** HTTP status of the answer; 0 for errors that never reach HTTP (start-up). */
  readonly status: number;
  /** Safe to show to anyone: never carries internals. */
  readonly message: string;
}

export const ERROR_CODES = {
  PC_ERR_CONFIG: { status: 0, message: 'Invalid configuration' },
  PC_ERR_INTERNAL: { status: 500, message: 'Internal server error' },
  PC_ERR_ORIGIN_UNREACHABLE: { status: 502, message: 'The origin server could not be reached' },
  PC_ERR_ORIGIN_TIMEOUT: { status: 504, message: 'The origin server did not answer in time' },
  PC_ERR_ORIGIN_PROTOCOL: { status: 502, message: 'The origin server sent an invalid response' },
  PC_ERR_ORIGIN_FAILED: { status: 502, message: 'The origin server could not provide this file' },
  PC_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  PC_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  PC_ERR_UNAUTHORIZED: { status: 401, message: 'A valid admin token is required' },
  PC_ERR_BAD_REQUEST: { status: 400, message: 'Bad request' },
  /** The visitor sent its headers or body too slowly (CLIENT_HEADERS_TIMEOUT_MS, CLIENT_REQUEST_TIMEOUT_MS). */
  PC_ERR_REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  PC_ERR_FORBIDDEN_URL: { status: 403, message: 'URL is not served by this origin' },
  PC_ERR_TOO_LARGE: { status: 413, message: 'Payload too large' },
  PC_ERR_RANGE: { status: 416, message: 'Range not satisfiable' },
  PC_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  PC_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  PC_ERR_OVERLOADED: { status: 503, message: 'Too many connections, try again later' },
  PC_ERR_SHUTTING_DOWN: { status: 503, message: 'Server is shutting down' },
  /** An ACME order ended without a certificate (never an HTTP answer: the proxy keeps serving). */
  PC_ERR_ACME_ORDER: { status: 0, message: 'The certificate order failed' },
  /** torrentRoute cannot be written (never an HTTP answer: video and audio stay on HTTP without torrents). */
  PC_ERR_TORRENT_ROUTE: { status: 0, message: 'The torrent directory cannot be written' },
} as const satisfies Record<`PC_ERR_${string}`, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PeerConnectError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? ERROR_CODES[code].message, options);
    this.name = 'PeerConnectError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
  }
}

/** A configuration problem: the message names the key, the value and what was expected. */
export class ConfigError extends PeerConnectError {
  constructor(detail: string) {
    super('PC_ERR_CONFIG', detail);
    this.name = 'ConfigError';
  }
}

/** A WebSocket close frame: RFC 6455 status code and a short reason (at most 123 bytes). */
export interface CloseReason {
  readonly code: 1000 | 1001 | 1008 | 1011 | 1013;
  readonly reason: string;
}

/**
 * Close frames the signaling server and the tracker send, so a client (and a
 * log reader) sees the same code and text for the same cause everywhere.
 */
export const CLOSE_REASONS = {
  /** The peer said `bye`: a normal end. */
  BYE: { code: 1000, reason: 'bye' },
  /** This server is shutting down; the client may reconnect to another. */
  SERVER_CLOSING: { code: 1001, reason: 'server closing' },
  /** A message needed a credential the peer does not have. */
  UNAUTHORIZED: { code: 1008, reason: 'unauthorized' },
  /** Too many invalid or rate-limited messages within the strike window. */
  TOO_MANY_INVALID: { code: 1008, reason: 'too many invalid messages' },
  /** The peer registry is full: try again later. */
  REGISTRY_FULL: { code: 1013, reason: 'registry full' },
} as const satisfies Record<string, CloseReason>;

export type CloseReasonName = keyof typeof CLOSE_REASONS;
