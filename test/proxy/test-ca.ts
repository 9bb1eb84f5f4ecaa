import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A leaf certificate signed by the test CA, as PEM files and their contents. */
export interface TestLeaf {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  serial: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo, for Chromium's --ignore-certificate-errors-spki-list. */
  spki: string;
}

/**
 * A throwaway certificate authority made with the real `openssl` binary: one CA,
 * any number of leaves for localhost / 127.0.0.1 (or other names).
 */
export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'pc-test-ca-'));
  readonly certFile = join(this.dir, 'ca.pem');
  private readonly keyFile = join(this.dir, 'ca.key');
  private leaves = 0;

  constructor(name = 'PeerConnect Test CA') {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', this.keyFile, '-out', this.certFile, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'pipe' });
  }

  get cert(): Buffer {
    return readFileSync(this.certFile);
  }

  /** A new leaf (new key, new serial); `chain` appends the CA certificate to the cert file. */
  issue(names: string[] = ['localhost', '127.0.0.1'], chain = true): TestLeaf {
    const n = ++this.leaves;
    const keyFile = join(this.dir, `leaf${n}.key`);
    const csrFile = join(this.dir, `leaf${n}.csr`);
    const certFile = join(this.dir, `leaf${n}.pem`);
    const extFile = join(this.dir, `leaf${n}.ext`);
    const san = names.map((name) => (/^[\d.]+$/.test(name) || name.includes(':') ? `IP:${name}` : `DNS:${name}`)).join(',');
    writeFileSync(extFile, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyFile, '-out', csrFile, '-subj', `/CN=${names[0]}`], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', csrFile, '-CA', this.certFile, '-CAkey', this.keyFile,
      '-CAcreateserial', '-out', certFile, '-days', '1', '-extfile', extFile], { stdio: 'pipe' });
    if (chain) writeFileSync(certFile, Buffer.concat([readFileSync(certFile), this.cert]));
    const cert = readFileSync(certFile);
    const x509 = new X509Certificate(cert);
    const spkiDer = x509.publicKey.export({ type: 'spki', format: 'der' });
    return {
      certFile, keyFile, cert, key: readFileSync(keyFile), serial: x509.serialNumber,
      spki: createHash('sha256').update(spkiDer).digest('base64'),
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
