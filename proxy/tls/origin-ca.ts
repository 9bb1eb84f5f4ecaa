import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { ConfigError } from '../../core/errors.js';

/**
 * The CA list for connections to an https origin: Node's bundled roots plus
 * ORIGIN_CA_FILE's certificates (a `ca` option replaces the defaults, so they
 * are listed again). Undefined when no file is set: the defaults apply as they are.
 */
export function originCaList(file: string | undefined): string[] | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`ORIGIN_CA_FILE=${JSON.stringify(file)}: cannot read file (${(err as Error).message}; expected a readable PEM file of CA certificates)`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new ConfigError(`ORIGIN_CA_FILE=${JSON.stringify(file)}: expected a PEM file of CA certificates (found none)`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new ConfigError(`ORIGIN_CA_FILE=${JSON.stringify(file)}: a certificate does not parse (${(err as Error).message})`);
    }
  }
  return [...rootCertificates, ...pems];
}
