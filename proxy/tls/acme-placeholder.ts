import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { TlsMaterial } from './tls-material.js';

/** How long the stand-in certificate is valid: far longer than any first order takes, short enough to be obviously temporary. */
export const PLACEHOLDER_VALIDITY_MS = 7 * 24 * 3600 * 1000;

/**
 * A self-signed certificate for `names`, served on PORT until the first ACME
 * certificate arrives (first start with an empty ACME_STATE_DIR, or an order
 * that keeps failing). Browsers do not trust it; it exists so HTTPS and the
 * HTTP-01 listener come up at once and the real certificate is a hot swap.
 *
 * Node can read X.509 but not write it, and the image has no openssl binary,
 * so the few DER structures of a v3 certificate (ECDSA P-256, subjectAltName)
 * are built here.
 */
export function placeholderCertificate(names: readonly string[], now = Date.now()): TlsMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = seq(oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
  const name = seq(set(seq(oid([0x55, 0x04, 0x03]), tlv(0x0c, Buffer.from(`PeerConnect placeholder for ${names[0] ?? 'localhost'}`.slice(0, 64))))));
  // Serial: positive (top bit clear), 16 random bytes.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f | 0x01;
  const altNames = seq(...names.map((host) => tlv(0x82, Buffer.from(host, 'ascii'))));
  const subjectAltName = seq(oid([0x55, 0x1d, 0x11]), tlv(0x04, altNames));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([0x02]))), // v3
    tlv(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + PLACEHOLDER_VALIDITY_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(subjectAltName)),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0x00]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

function tlv(tag: number, value: Buffer): Buffer {
  const length = value.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([header, value]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const oid = (bytes: number[]): Buffer => tlv(0x06, Buffer.from(bytes));

/** UTCTime (YYMMDDHHMMSSZ): valid for years up to 2049, as RFC 5280 asks. */
function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-02T12:22:44.000Z
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}
