import { timingSafeEqual } from 'node:crypto';
import type { HelloMessage, PeerRole } from '../../protocol/signal-messages.js';
import type { AddressLimiter } from './address-limiter.js';
import type { UpgradeRefusal as UpgradeErrorCode } from './reject-upgrade.js';
import type { MessageRefusal } from './strike-policy.js';

export type UpgradeRefusalReason = 'closing' | 'full' | 'per-address';

/** Why an upgrade was refused (the stats key), and the catalog error it is refused with. */
export interface UpgradeRefusal {
  admitted: false;
  reason: UpgradeRefusalReason;
  error: UpgradeErrorCode;
}

/** A place reserved for one upgrade; call `upgraded()` once the handshake completed. */
export interface UpgradeAdmitted {
  admitted: true;
  upgraded(): void;
}

export interface AdmissionOptions {
  limiter: AddressLimiter;
  /** Sessions plus upgrades still in their handshake. */
  maxPeers: number;
  /**
   * The secret a `hello` with role seeder must carry (SEEDER_TOKEN, else
   * ADMIN_TOKEN, else a per-process random one only the embedded seeder knows).
   * No address is privileged: behind a same-host proxy every visitor is loopback.
   */
  seederSecret: string;
}

/** Only the close event of the upgrading socket is needed. */
export interface UpgradingSocket {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Who may open a `/signal` socket and who may become a seeder. Connections are
 * bounded in total (`maxPeers`, handshakes included, so a burst of upgrades
 * cannot overshoot) and per client address (the limiter shared with the
 * tracker). The protocol version is not checked here: every frame carries `v`
 * and the shared parser refuses a wrong one with `unsupported-version`.
 */
export class Admission {
  private handshakes = 0;
  private stopped = false;

  constructor(private readonly options: AdmissionOptions) {}

  /** Upgrades in their handshake: they count against `maxPeers` like sessions. */
  get pending(): number {
    return this.handshakes;
  }

  /**
   * Reserves a place for an upgrade from `address` while `sessions` are open.
   * The per-address slot is held until the socket closes; the handshake place
   * until `upgraded()` or the socket closes, whichever comes first.
   */
  admit(socket: UpgradingSocket, address: string, sessions: number): UpgradeAdmitted | UpgradeRefusal {
    if (this.stopped) return { admitted: false, reason: 'closing', error: 'PC_ERR_SHUTTING_DOWN' };
    if (sessions + this.handshakes >= this.options.maxPeers) return { admitted: false, reason: 'full', error: 'PC_ERR_OVERLOADED' };
    const release = this.options.limiter.acquire(address);
    if (!release) return { admitted: false, reason: 'per-address', error: 'PC_ERR_RATE_LIMITED' };
    socket.once('close', release);
    this.handshakes++;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.handshakes--;
    };
    socket.once('close', settle);
    return { admitted: true, upgraded: settle };
  }

  /** Refuses every later upgrade with `closing`. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * The role a `hello` asks for, or why it is refused: a hello that is not the
   * session's first message is `bad-message`; `seeder` without the seeder
   * secret is `unauthorized`, whatever address it comes from.
   */
  hello(hello: HelloMessage, firstMessage: boolean): PeerRole | MessageRefusal {
    if (!firstMessage) return { reason: 'bad-message', message: 'hello must be the first message' };
    if (hello.role === 'browser') return 'browser';
    if (!seederAllowed(this.options.seederSecret, hello.token)) {
      return { reason: 'unauthorized', message: 'role seeder needs the seeder token' };
    }
    return 'seeder';
  }
}

/** Whether `token` is the seeder secret. */
export function seederAllowed(secret: string, token: string | undefined): boolean {
  if (token === undefined || secret === '') return false;
  const given = Buffer.from(token);
  const expected = Buffer.from(secret);
  // Constant time, so the token cannot be guessed byte by byte from response timing.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
