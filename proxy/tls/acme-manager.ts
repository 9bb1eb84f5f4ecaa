import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import type { Config } from '../../core/config/options.js';
import { ConfigError, PeerConnectError } from '../../core/errors.js';
import type { CertificateTarget, Feature } from '../../core/feature.js';
import type { Logger } from '../../core/logger.js';
import { placeholderCertificate } from './acme-placeholder.js';
import { AcmeStateDir, describeCertificate, type StoredCertificate } from './acme-state.js';
import type { TlsMaterial } from './tls-material.js';

/** A certificate is renewed when this fraction of its lifetime has passed (60 of Let's Encrypt's 90 days). */
export const RENEW_AT_LIFETIME_FRACTION = 2 / 3;
/** After a failed order, the next attempt waits this long, doubling per failure up to RETRY_MAX_MS (CAs rate-limit failed validations). */
export const RETRY_FIRST_MS = 10 * 60_000;
export const RETRY_MAX_MS = 12 * 3600_000;
/** setTimeout's ceiling (~24.8 days): a renewal further out is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface AcmeManagerOptions {
  /** Names on the certificate; the first is its common name. */
  domains: readonly string[];
  /** Contact address for the CA's expiry and policy mail. */
  email?: string;
  directoryUrl: string;
  /** Account key and certificate (created 0700). */
  stateDir: string;
  /** Extra CAs trusted for the directory's HTTPS (a private ACME CA). */
  caFile?: string;
  logger: Logger;
  /** First delay of acme-client's status polling (challenge, order), in ms. @default 5000 (acme-client's own) */
  pollMinMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** An order that did not end in a certificate: the CA's reason, for the log and the operator. */
export class AcmeOrderError extends PeerConnectError {
  constructor(readonly domains: readonly string[], directoryUrl: string, cause: unknown) {
    super('PC_ERR_ACME_ORDER', `ACME order for ${domains.join(', ')} at ${directoryUrl} failed: ${(cause as Error).message ?? String(cause)}`, { cause });
    this.name = 'AcmeOrderError';
  }
}

/** The manager's options from the config: ACME_STATE_DIR defaults to acme/ under P2P_TORRENT_ROUTE. */
export function acmeOptionsFrom(config: Config, logger: Logger): AcmeManagerOptions {
  return {
    domains: config.acmeDomains,
    ...(config.acmeEmail !== undefined ? { email: config.acmeEmail } : {}),
    directoryUrl: config.acmeDirectoryUrl,
    stateDir: resolve(config.acmeStateDir ?? join(config.torrentRoute, 'acme')),
    ...(config.acmeCaFile !== undefined ? { caFile: config.acmeCaFile } : {}),
    logger: logger.child({ module: 'peerconnect:acme' }),
  };
}

/**
 * Automatic certificates (ACME_DOMAINS): keeps a CA-issued certificate on the
 * HTTPS listener. It starts from the one stored in ACME_STATE_DIR when that is
 * still valid and not due, and otherwise orders one with an HTTP-01 challenge
 * answered on HTTP_PORT; it renews at two thirds of the lifetime and hot-swaps
 * the result through `CertificateTarget.setCertificate`. acme-client does the
 * protocol (JWS, nonces, polling).
 */
export class AcmeManager implements Feature {
  readonly name = 'acme';
  /** Orders this process placed (each one a new-order at the CA). */
  orders = 0;
  /** Why the last order failed; cleared by the next success. */
  lastError: AcmeOrderError | undefined;
  private readonly state: AcmeStateDir;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** Key authorizations of the challenges in flight, by token. */
  private readonly tokens = new Map<string, string>();
  private current: StoredCertificate | undefined;
  private target: CertificateTarget | undefined;
  private inFlight: Promise<StoredCertificate> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(private readonly options: AcmeManagerOptions) {
    if (options.domains.length === 0) throw new ConfigError('ACME_DOMAINS: expected at least one name');
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    if (options.caFile !== undefined) trustExtraCa(options.caFile);
    acme.setLogger((message) => this.logger.debug(message));
    this.state = new AcmeStateDir(options.stateDir);
    try {
      this.state.ensure();
    } catch (err) {
      throw new ConfigError(`ACME_STATE_DIR=${JSON.stringify(options.stateDir)}: cannot create (${(err as Error).message}; expected a directory this user may write)`);
    }
    const stored = this.state.readCertificate();
    if (stored && this.covers(stored) && stored.notAfter.getTime() > this.now()) this.current = stored;
    else if (stored) this.logger.info({ names: stored.names, notAfter: stored.notAfter }, 'stored certificate does not cover ACME_DOMAINS or has expired: ordering a new one');
  }

  /** The certificate being served when it came from the CA (stored or issued); undefined while the placeholder is. */
  get certificate(): StoredCertificate | undefined {
    return this.current;
  }

  /** False while the HTTPS listener serves the placeholder (reported by /readyz). */
  ready(): boolean {
    return this.current !== undefined;
  }

  /** What the HTTPS listener starts with: the stored certificate, or a self-signed placeholder until the first order. */
  initialCertificate(): TlsMaterial {
    if (this.current) return { cert: this.current.cert, key: this.current.key };
    return placeholderCertificate(this.options.domains);
  }

  /**
   * Call once the HTTP_PORT listener is up: answers challenges through
   * `target`, orders now when no stored certificate is usable or it is due,
   * and plans the next renewal. Failures are logged and retried with backoff.
   */
  begin(target: CertificateTarget): void {
    this.target = target;
    target.setAcmeChallengeHandler((token) => this.tokens.get(token));
    if (this.current) {
      this.logger.info({ serial: this.current.serial, notAfter: this.current.notAfter }, 'serving the stored ACME certificate');
      this.schedule(renewalTime(this.current));
    } else {
      this.renewInBackground();
    }
  }

  /**
   * Orders a certificate now and swaps it in (also how a renewal is forced);
   * joins the order in flight if there is one. Rejects with AcmeOrderError.
   */
  renewNow(): Promise<StoredCertificate> {
    this.inFlight ??= this.order().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Resolves when no order is in flight (whatever its outcome). */
  async settled(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  /** Stops renewing. An order in flight is not waited for (acme-client may poll for minutes); its result is dropped. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.target?.setAcmeChallengeHandler(undefined);
  }

  private async order(): Promise<StoredCertificate> {
    const { domains, directoryUrl } = this.options;
    this.orders++;
    const started = this.now();
    let cert: string;
    let key: Buffer;
    try {
      // With the account URL stored, acme-client skips registration: re-registering a
      // known key turns into an account update, which some CAs refuse when it changes nothing.
      const accountUrl = this.state.readAccountUrl(directoryUrl);
      const client = new acme.Client({
        directoryUrl,
        accountKey: await this.accountKey(),
        ...(accountUrl !== undefined ? { accountUrl } : {}),
        ...(this.options.pollMinMs !== undefined ? { backoffMin: this.options.pollMinMs } : {}),
      });
      key = await acme.crypto.createPrivateEcdsaKey('P-256');
      const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: [...domains] }, key);
      this.logger.info({ domains, directoryUrl }, 'ordering a certificate (ACME HTTP-01)');
      cert = await client.auto({
        csr,
        ...(this.options.email !== undefined ? { email: this.options.email } : {}),
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        // acme-client's own pre-fetch of the token goes to <name>:80 from this host, which
        // fails behind NAT without hairpinning; the CA's validation is the one that counts.
        skipChallengeVerification: true,
        // The CA fetches each token several times (from several vantage points): it stays until the challenge is settled.
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
          this.tokens.set(challenge.token, keyAuthorization);
        },
        challengeRemoveFn: async (_authz, challenge) => {
          this.tokens.delete(challenge.token);
        },
      });
      if (accountUrl === undefined) this.state.writeAccountUrl(directoryUrl, client.getAccountUrl());
    } catch (err) {
      const error = new AcmeOrderError(domains, directoryUrl, err);
      this.lastError = error;
      throw error;
    }
    const issued = describeCertificate(cert, key);
    // Kept even when closing meanwhile: the next start serves it instead of ordering again.
    this.state.writeCertificate(cert, key);
    if (this.closed) return issued;
    this.target?.setCertificate(cert, key);
    this.current = issued;
    this.lastError = undefined;
    this.failures = 0;
    this.logger.info({ domains, serial: issued.serial, notAfter: issued.notAfter, ms: this.now() - started }, 'ACME certificate issued and served');
    this.schedule(renewalTime(issued));
    return issued;
  }

  /** The stored account key, or a new one (ECDSA P-256) saved before first use. */
  private async accountKey(): Promise<Buffer> {
    const stored = this.state.readAccountKey();
    if (stored) return stored;
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    this.state.writeAccountKey(key);
    return key;
  }

  private renewInBackground(): void {
    this.renewNow().catch((err: unknown) => {
      if (this.closed) return;
      this.failures++;
      const retryMs = Math.min(RETRY_FIRST_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
      this.logger.error({ err: (err as Error).message, code: (err as AcmeOrderError).code, retryInMs: retryMs, serving: this.current ? 'previous certificate' : 'placeholder' }, 'ACME order failed');
      this.schedule(this.now() + retryMs);
    });
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const delay = at - this.now();
    if (delay <= 0) return this.renewInBackground();
    this.timer = setTimeout(() => (delay > MAX_TIMER_MS ? this.schedule(at) : this.renewInBackground()), Math.min(delay, MAX_TIMER_MS));
    this.timer.unref();
  }

  private covers(cert: StoredCertificate): boolean {
    return this.options.domains.every((name) => cert.names.includes(name));
  }
}

/** When a certificate is due: two thirds into its lifetime. */
export function renewalTime(cert: Pick<StoredCertificate, 'notBefore' | 'notAfter'>): number {
  const from = cert.notBefore.getTime();
  return from + (cert.notAfter.getTime() - from) * RENEW_AT_LIFETIME_FRACTION;
}

/**
 * ACME_CA_FILE: acme-client talks through one shared axios instance, so the
 * extra trust is set there (beside the system CAs), for every client in the process.
 */
function trustExtraCa(caFile: string): void {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`ACME_CA_FILE=${JSON.stringify(caFile)}: cannot read file (${(err as Error).message}; expected a PEM file of CA certificates)`);
  }
  acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, pem] });
}
