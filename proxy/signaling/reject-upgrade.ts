import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../../core/errors.js';
import { sendSocketError } from '../../core/http/error-response.js';

/** Why signaling or the tracker refuses a WebSocket before the handshake. */
export type UpgradeRefusal = Extract<ErrorCode, 'PC_ERR_RATE_LIMITED' | 'PC_ERR_OVERLOADED' | 'PC_ERR_SHUTTING_DOWN'>;

/** Bare statuses some callers still pass, mapped onto the catalog. */
const LEGACY_STATUS: Record<429 | 503, UpgradeRefusal> = { 429: 'PC_ERR_RATE_LIMITED', 503: 'PC_ERR_OVERLOADED' };

/**
 * Refuses a WebSocket upgrade with a catalog error before any handshake. A bare
 * 429 or 503 is still accepted (as rate limited / overloaded) until every caller
 * names the catalog code.
 */
export function rejectUpgrade(socket: Duplex, refusal: UpgradeRefusal | 429 | 503): void {
  sendSocketError(socket, typeof refusal === 'number' ? LEGACY_STATUS[refusal] : refusal);
}
