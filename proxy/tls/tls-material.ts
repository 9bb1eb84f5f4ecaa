import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../../core/errors.js';

/** A certificate chain and its private key, PEM. */
export interface TlsMaterial {
  cert: Buffer | string;
  key: Buffer | string;
}

/**
 * Checks that `cert` parses, `key` parses, and the key belongs to the leaf
 * certificate; returns the secure context built from them. Throws a plain
 * Error naming what is wrong (callers add the option names).
 */
export function secureContextFor(material: TlsMaterial): SecureContext {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(material.cert);
  } catch (err) {
    throw new Error(`not a PEM certificate (${(err as Error).message})`);
  }
  let context: SecureContext;
  try {
    // createSecureContext refuses a key that does not match the first certificate ("key values mismatch").
    context = createSecureContext({ cert: material.cert, key: material.key });
  } catch (err) {
    throw new Error(`key and certificate do not fit together (${(err as Error).message})`);
  }
  if (Date.parse(leaf.validTo) < Date.now()) throw new Error(`certificate expired on ${leaf.validTo}`);
  return context;
}

/** Reads and checks TLS_CERT_FILE + TLS_KEY_FILE; a ConfigError names the key at fault. */
export function readTlsFiles(certFile: string, keyFile: string): TlsMaterial {
  const read = (env: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`${env}=${JSON.stringify(path)}: cannot read file (${(err as Error).message}; expected a readable PEM file)`);
    }
  };
  const material = { cert: read('TLS_CERT_FILE', certFile), key: read('TLS_KEY_FILE', keyFile) };
  try {
    secureContextFor(material);
  } catch (err) {
    throw new ConfigError(`TLS_CERT_FILE=${JSON.stringify(certFile)}, TLS_KEY_FILE=${JSON.stringify(keyFile)}: ${(err as Error).message} (expected a PEM chain and its private key)`);
  }
  return material;
}
