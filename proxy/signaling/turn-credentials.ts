import { createHmac } from 'node:crypto';
import type { IceServer } from '../../protocol/signal-messages.js';

export interface TurnCredential {
  /** `<unix expiry>:<peer id>`: coturn (`use-auth-secret`) refuses it after the expiry. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  credential: string;
  /** Unix time (seconds) the credential stops working. */
  expiresAt: number;
}

/**
 * Ephemeral TURN credentials of the TURN REST scheme (coturn `use-auth-secret`,
 * draft-uberti-behave-turn-rest): the TURN server shares `secret` with the proxy
 * and checks the HMAC itself, so nothing is stored per visitor and a stolen
 * credential dies at its expiry.
 */
export function mintTurnCredential(secret: string, peerId: string, ttlS: number, nowMs: number): TurnCredential {
  const expiresAt = Math.floor(nowMs / 1000) + ttlS;
  const username = `${expiresAt}:${peerId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}

export interface TurnCredentialsOptions {
  /** turn:/turns: URLs of the TURN server(s) sharing the secret. */
  urls: readonly string[];
  secret: string;
  ttlS: number;
  now?: () => number;
}

/** Mints one TURN `IceServer` per signaling connection (a reconnect gets fresh credentials). */
export class TurnCredentials {
  // A private field: the secret stays out of util.inspect, JSON and any logged object.
  readonly #secret: string;
  private readonly urls: string[];
  private readonly ttlS: number;
  private readonly now: () => number;

  constructor(options: TurnCredentialsOptions) {
    this.#secret = options.secret;
    this.urls = [...options.urls];
    this.ttlS = options.ttlS;
    this.now = options.now ?? Date.now;
  }

  /** The ICE server entry for `peerId`, valid for `ttlS` from now. */
  serverFor(peerId: string): IceServer {
    const { username, credential } = mintTurnCredential(this.#secret, peerId, this.ttlS, this.now());
    return { urls: this.urls.length === 1 ? this.urls[0] as string : [...this.urls], username, credential };
  }
}
