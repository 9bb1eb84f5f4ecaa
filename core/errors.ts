/**
 * One catalog of PeerConnect errors with stable codes, so logs, metrics and HTTP
 * answers name failures the same way everywhere.
 */
export const ERROR_CODES = {
  PC_ERR_CONFIG: { status: 0, message: 'Invalid configuration' },
  PC_ERR_ORIGIN_UNREACHABLE: { status: 502, message: 'The origin server could not be reached' },
  PC_ERR_ORIGIN_TIMEOUT: { status: 504, message: 'The origin server did not answer in time' },
  PC_ERR_ORIGIN_PROTOCOL: { status: 502, message: 'The origin server sent an invalid response' },
  PC_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  PC_ERR_UNAUTHORIZED: { status: 401, message: 'A valid admin token is required' },
  PC_ERR_BAD_REQUEST: { status: 400, message: 'Bad request' },
  PC_ERR_FORBIDDEN_URL: { status: 403, message: 'URL is not served by this origin' },
  PC_ERR_TOO_LARGE: { status: 413, message: 'Payload too large' },
  PC_ERR_RANGE: { status: 416, message: 'Range not satisfiable' },
  PC_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  PC_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  PC_ERR_SHUTTING_DOWN: { status: 503, message: 'Server is shutting down' },
} as const;

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
