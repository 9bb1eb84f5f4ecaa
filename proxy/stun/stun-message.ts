import { isIP } from 'node:net';
import { crc32 } from 'node:zlib';

/**
 * The small part of STUN (RFC 5389) the built-in responder needs: decode a
 * message, encode a Binding success response with XOR-MAPPED-ADDRESS and
 * FINGERPRINT. Pure functions; `decodeStunMessage` throws StunParseError on
 * anything malformed, and the server drops such packets.
 *
 * Hand-written rather than the npm `stun` package (2.1.0): that one pulls `ip@1`
 * and `parse-url@5`, both with published advisories (nodertc/stun#37, open since
 * 2022), plus a CLI parser, for the ~150 lines a Binding responder needs.
 */

export const STUN_HEADER_BYTES = 20;
export const MAGIC_COOKIE = 0x2112a442;
const TRANSACTION_ID_BYTES = 12;
/** Largest message decoded: more than any Binding request (a UDP datagram of the usual MTU). */
export const MAX_STUN_MESSAGE_BYTES = 1500;
/** Bounds the work per packet: no Binding request carries anywhere near this many. */
const MAX_ATTRIBUTES = 32;
const FINGERPRINT_XOR = 0x5354554e;

export const STUN_METHOD_BINDING = 0x001;
export type StunClass = 'request' | 'indication' | 'success' | 'error';
const CLASS_BITS: Record<StunClass, number> = { request: 0x000, indication: 0x010, success: 0x100, error: 0x110 };

export const ATTR = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  XOR_MAPPED_ADDRESS: 0x0020,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
} as const;

export interface StunAttribute {
  type: number;
  value: Buffer;
}

export interface StunMessage {
  method: number;
  class: StunClass;
  transactionId: Buffer;
  attributes: StunAttribute[];
}

export class StunParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StunParseError';
  }
}

function fail(message: string): never {
  throw new StunParseError(message);
}

/** True when the first bytes look like STUN (top two bits zero, magic cookie): a cheap pre-check. */
export function looksLikeStun(packet: Buffer): boolean {
  return packet.length >= STUN_HEADER_BYTES && (packet[0] as number) < 0x40 && packet.readUInt32BE(4) === MAGIC_COOKIE;
}

/** Decodes one STUN message (RFC 5389 §6, §15); verifies FINGERPRINT when present. Throws StunParseError. */
export function decodeStunMessage(packet: Buffer): StunMessage {
  if (packet.length < STUN_HEADER_BYTES) fail('shorter than a STUN header');
  if (packet.length > MAX_STUN_MESSAGE_BYTES) fail('too large');
  const type = packet.readUInt16BE(0);
  if (type & 0xc000) fail('not a STUN message (top bits set)');
  const length = packet.readUInt16BE(2);
  if (length % 4 !== 0) fail('length is not a multiple of 4');
  if (STUN_HEADER_BYTES + length !== packet.length) fail('length does not match the datagram');
  if (packet.readUInt32BE(4) !== MAGIC_COOKIE) fail('no magic cookie (RFC 3489 messages are not answered)');

  const attributes: StunAttribute[] = [];
  let offset = STUN_HEADER_BYTES;
  let fingerprinted = false;
  while (offset < packet.length) {
    if (attributes.length >= MAX_ATTRIBUTES) fail('too many attributes');
    if (fingerprinted) fail('attribute after FINGERPRINT');
    if (offset + 4 > packet.length) fail('truncated attribute header');
    const attrType = packet.readUInt16BE(offset);
    const attrLength = packet.readUInt16BE(offset + 2);
    const start = offset + 4;
    const padded = start + Math.ceil(attrLength / 4) * 4;
    if (padded > packet.length) fail('attribute runs past the end');
    const value = packet.subarray(start, start + attrLength);
    if (attrType === ATTR.FINGERPRINT) {
      if (attrLength !== 4) fail('FINGERPRINT is not 4 bytes');
      if (value.readUInt32BE(0) !== fingerprintOf(packet.subarray(0, offset))) fail('FINGERPRINT does not match');
      fingerprinted = true;
    }
    attributes.push({ type: attrType, value });
    offset = padded;
  }
  return {
    method: (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2),
    class: classOf(type & 0x0110),
    transactionId: packet.subarray(8, STUN_HEADER_BYTES),
    attributes,
  };
}

function classOf(bits: number): StunClass {
  for (const [name, value] of Object.entries(CLASS_BITS) as [StunClass, number][]) if (value === bits) return name;
  return fail('unknown class');
}

/**
 * CRC-32 of the message up to the FINGERPRINT attribute, XOR 0x5354554e (§15.5).
 * `head` must already carry the final length (the FINGERPRINT included).
 */
function fingerprintOf(head: Buffer): number {
  return (crc32(head) ^ FINGERPRINT_XOR) >>> 0;
}

export interface EncodeOptions {
  method: number;
  class: StunClass;
  transactionId: Buffer;
  attributes?: StunAttribute[];
  /** Appends FINGERPRINT (as every response of this server does). @default true */
  fingerprint?: boolean;
}

/** Encodes a STUN message: header, attributes zero-padded to 4 bytes, optional FINGERPRINT last. */
export function encodeStunMessage(options: EncodeOptions): Buffer {
  if (options.transactionId.length !== TRANSACTION_ID_BYTES) throw new RangeError('transaction id must be 12 bytes');
  const parts: Buffer[] = [];
  for (const { type, value } of options.attributes ?? []) {
    const header = Buffer.alloc(4);
    header.writeUInt16BE(type, 0);
    header.writeUInt16BE(value.length, 2);
    parts.push(header, value, Buffer.alloc((4 - (value.length % 4)) % 4));
  }
  const withFingerprint = options.fingerprint ?? true;
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(STUN_HEADER_BYTES);
  const m = options.method;
  header.writeUInt16BE((m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | CLASS_BITS[options.class], 0);
  header.writeUInt16BE(body.length + (withFingerprint ? 8 : 0), 2);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  options.transactionId.copy(header, 8);
  const message = Buffer.concat([header, body]);
  if (!withFingerprint) return message;
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeUInt16BE(ATTR.FINGERPRINT, 0);
  fingerprint.writeUInt16BE(4, 2);
  fingerprint.writeUInt32BE(fingerprintOf(message), 4);
  return Buffer.concat([message, fingerprint]);
}

/** The value of an XOR-MAPPED-ADDRESS attribute for `address:port` (§15.2). */
export function encodeXorAddress(address: string, port: number, transactionId: Buffer): Buffer {
  const family = isIP(address);
  if (family === 0) throw new RangeError(`not an IP address: ${address}`);
  const raw = family === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  const value = Buffer.alloc(4 + raw.length);
  value.writeUInt8(family === 4 ? 0x01 : 0x02, 1);
  value.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  xorInto(raw, transactionId).copy(value, 4);
  return value;
}

/** Reads an XOR-MAPPED-ADDRESS value back (tests, and any client use). Throws StunParseError. */
export function decodeXorAddress(value: Buffer, transactionId: Buffer): { address: string; port: number; family: 4 | 6 } {
  if (value.length !== 8 && value.length !== 20) fail('XOR-MAPPED-ADDRESS has a bad length');
  const family = value.readUInt8(1);
  if ((family === 0x01 && value.length !== 8) || (family === 0x02 && value.length !== 20) || (family !== 0x01 && family !== 0x02)) {
    fail('XOR-MAPPED-ADDRESS has a bad family');
  }
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const raw = xorInto(Buffer.from(value.subarray(4)), transactionId);
  if (family === 0x01) return { address: [...raw].join('.'), port, family: 4 };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  return { address: groups.join(':'), port, family: 6 };
}

/** XORs an address with the magic cookie (IPv4) or the cookie followed by the transaction id (IPv6). */
function xorInto(raw: Buffer, transactionId: Buffer): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(key, 4);
  const out = Buffer.alloc(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i] as number) ^ (key[i] as number);
  return out;
}

function ipv6Bytes(address: string): Buffer {
  // An IPv4-mapped tail (::ffff:1.2.3.4) becomes two hex groups first.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}
