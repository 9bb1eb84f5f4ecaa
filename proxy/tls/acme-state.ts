import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { X509Certificate, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { secureContextFor, type TlsMaterial } from './tls-material.js';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** What the state directory holds between runs. */
export const ACME_STATE_FILES = {
  /** The ACME account's private key (PEM): the account is found again by its key. */
  accountKey: 'account-key.pem',
  /** The account's URL at the directory it was made at (JSON), so later orders skip account look-up. */
  account: 'account.json',
  /** The current certificate chain (PEM, leaf first), as the CA sent it. */
  certificate: 'certificate.pem',
  /** The private key of `certificate`. */
  certificateKey: 'certificate-key.pem',
} as const;

/** A certificate read back from disk, with the dates renewal is planned from. */
export interface StoredCertificate extends TlsMaterial {
  notBefore: Date;
  notAfter: Date;
  serial: string;
  /** DNS names of the leaf's subjectAltName. */
  names: string[];
}

/**
 * ACME_STATE_DIR: the account key and the current certificate, private to
 * the proxy's user (directory 0700, files 0600). Every file is written to a
 * temporary name, flushed, and renamed over the old one, so a crash never
 * leaves half a key behind.
 */
export class AcmeStateDir {
  constructor(readonly dir: string) {}

  /** Creates the directory (0700); an existing one is tightened to 0700. */
  ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
    chmodSync(this.dir, DIR_MODE);
  }

  readAccountKey(): Buffer | undefined {
    return this.read(ACME_STATE_FILES.accountKey);
  }

  writeAccountKey(key: Buffer | string): void {
    this.write(ACME_STATE_FILES.accountKey, key);
  }

  /**
   * The stored certificate when it parses and fits its key; undefined when
   * there is none (first start) or the pair is broken (a crash between the two
   * renames), which means: order a new one.
   */
  readCertificate(): StoredCertificate | undefined {
    const cert = this.read(ACME_STATE_FILES.certificate);
    const key = this.read(ACME_STATE_FILES.certificateKey);
    if (!cert || !key) return undefined;
    try {
      secureContextFor({ cert, key });
      return describeCertificate(cert, key);
    } catch {
      return undefined;
    }
  }

  /** The account URL stored for `directoryUrl`; undefined for any other directory (the key makes a new account there). */
  readAccountUrl(directoryUrl: string): string | undefined {
    const text = this.read(ACME_STATE_FILES.account);
    if (!text) return undefined;
    try {
      const account = JSON.parse(text.toString()) as { directoryUrl?: unknown; url?: unknown };
      return account.directoryUrl === directoryUrl && typeof account.url === 'string' ? account.url : undefined;
    } catch {
      return undefined;
    }
  }

  writeAccountUrl(directoryUrl: string, url: string): void {
    this.write(ACME_STATE_FILES.account, `${JSON.stringify({ directoryUrl, url })}\n`);
  }

  /** The key first: a certificate on disk always has its key beside it. */
  writeCertificate(cert: string | Buffer, key: string | Buffer): void {
    this.write(ACME_STATE_FILES.certificateKey, key);
    this.write(ACME_STATE_FILES.certificate, cert);
  }

  private read(name: string): Buffer | undefined {
    try {
      return readFileSync(join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private write(name: string, data: string | Buffer): void {
    const target = join(this.dir, name);
    const temp = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    const fd = openSync(temp, 'wx', FILE_MODE);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(temp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(temp, target);
  }
}

/** Dates, serial and names of a PEM chain's leaf. */
export function describeCertificate(cert: string | Buffer, key: string | Buffer): StoredCertificate {
  const leaf = new X509Certificate(cert);
  const names = (leaf.subjectAltName ?? '').split(', ').filter((entry) => entry.startsWith('DNS:')).map((entry) => entry.slice(4));
  return { cert, key, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo), serial: leaf.serialNumber, names };
}
