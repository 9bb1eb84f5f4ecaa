import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ATTR, STUN_METHOD_BINDING, StunParseError, decodeStunMessage, decodeXorAddress, encodeStunMessage, encodeXorAddress, looksLikeStun,
} from '../../../proxy/stun/stun-message.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// RFC 5769 ("Test Vectors for STUN") sections 2.1-2.3, as printed there. The
// SOFTWARE/USERNAME padding bytes are 0x20 in the RFC on purpose: a decoder must not insist on zeros.
const TRANSACTION_ID = hex('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae');
const SAMPLE_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);
const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);
const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);

function attribute(message: ReturnType<typeof decodeStunMessage>, type: number): Buffer {
  const found = message.attributes.find((a) => a.type === type);
  assert.ok(found, `attribute 0x${type.toString(16)}`);
  return found.value;
}

test('RFC 5769 2.1: the sample Binding request decodes, FINGERPRINT verified', () => {
  const message = decodeStunMessage(SAMPLE_REQUEST);
  assert.equal(message.method, STUN_METHOD_BINDING);
  assert.equal(message.class, 'request');
  assert.deepEqual(message.transactionId, TRANSACTION_ID);
  assert.deepEqual(message.attributes.map((a) => a.type), [ATTR.SOFTWARE, 0x0024, 0x8029, ATTR.USERNAME, ATTR.MESSAGE_INTEGRITY, ATTR.FINGERPRINT]);
  assert.equal(attribute(message, ATTR.SOFTWARE).toString(), 'STUN test client');
  assert.equal(attribute(message, ATTR.USERNAME).toString(), 'evtj:h6vY');
});

test('RFC 5769 2.2: the IPv4 response decodes to 192.0.2.1:32853', () => {
  const message = decodeStunMessage(SAMPLE_IPV4_RESPONSE);
  assert.equal(message.class, 'success');
  assert.equal(attribute(message, ATTR.SOFTWARE).toString(), 'test vector');
  assert.deepEqual(decodeXorAddress(attribute(message, ATTR.XOR_MAPPED_ADDRESS), message.transactionId), { address: '192.0.2.1', port: 32853, family: 4 });
});

test('RFC 5769 2.3: the IPv6 response decodes to [2001:db8:1234:5678:11:2233:4455:6677]:32853', () => {
  const message = decodeStunMessage(SAMPLE_IPV6_RESPONSE);
  assert.deepEqual(decodeXorAddress(attribute(message, ATTR.XOR_MAPPED_ADDRESS), message.transactionId),
    { address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853, family: 6 });
});

test('XOR-MAPPED-ADDRESS encodes to the RFC 5769 bytes, IPv4 and IPv6', () => {
  assert.deepEqual(encodeXorAddress('192.0.2.1', 32853, TRANSACTION_ID), hex('00 01 a1 47 e1 12 a6 43'));
  assert.deepEqual(encodeXorAddress('2001:db8:1234:5678:11:2233:4455:6677', 32853, TRANSACTION_ID),
    hex('00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9'));
  assert.deepEqual(decodeXorAddress(encodeXorAddress('::1', 9, TRANSACTION_ID), TRANSACTION_ID), { address: '0:0:0:0:0:0:0:1', port: 9, family: 6 });
});

test('an encoded Binding success response carries a FINGERPRINT that decodes and verifies', () => {
  const transactionId = randomBytes(12);
  const response = encodeStunMessage({
    method: STUN_METHOD_BINDING, class: 'success', transactionId,
    attributes: [{ type: ATTR.XOR_MAPPED_ADDRESS, value: encodeXorAddress('198.18.0.7', 50000, transactionId) }],
  });
  assert.equal(response.readUInt16BE(0), 0x0101);
  assert.equal(response.length, 20 + 12 + 8);
  const decoded = decodeStunMessage(response);
  assert.equal(decoded.class, 'success');
  assert.equal(decoded.attributes.at(-1)?.type, ATTR.FINGERPRINT);
  assert.deepEqual(decodeXorAddress(attribute(decoded, ATTR.XOR_MAPPED_ADDRESS), transactionId), { address: '198.18.0.7', port: 50000, family: 4 });
  // Same bytes as the RFC's IPv4 vector once its SOFTWARE and MESSAGE-INTEGRITY are left out.
  const bare = encodeStunMessage({ method: STUN_METHOD_BINDING, class: 'request', transactionId: TRANSACTION_ID, fingerprint: false });
  assert.deepEqual(bare, hex('00 01 00 00 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae'));
});

test('malformed messages throw StunParseError, never anything else', () => {
  const bad: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['short header', SAMPLE_REQUEST.subarray(0, 19)],
    ['top bits set', Buffer.concat([hex('c0'), SAMPLE_REQUEST.subarray(1)])],
    ['length not a multiple of 4', Buffer.concat([SAMPLE_REQUEST.subarray(0, 2), hex('00 57'), SAMPLE_REQUEST.subarray(4)])],
    ['length past the datagram', SAMPLE_REQUEST.subarray(0, SAMPLE_REQUEST.length - 4)],
    ['no magic cookie', Buffer.concat([SAMPLE_REQUEST.subarray(0, 4), hex('00 00 00 00'), SAMPLE_REQUEST.subarray(8)])],
    ['fingerprint mismatch', Buffer.concat([SAMPLE_REQUEST.subarray(0, SAMPLE_REQUEST.length - 1), hex('00')])],
    ['attribute past the end', Buffer.concat([hex('00 01 00 08 21 12 a4 42'), TRANSACTION_ID, hex('80 22 00 10 00 00 00 00')])],
    ['attribute after fingerprint', Buffer.concat([SAMPLE_REQUEST.subarray(0, 2), hex('00 5c'), SAMPLE_REQUEST.subarray(4), hex('80 22 00 00')])],
    ['too many attributes', Buffer.concat([hex('00 01 00 84 21 12 a4 42'), TRANSACTION_ID, Buffer.alloc(33 * 4)])],
    ['oversized', Buffer.concat([hex('00 01 05 dc 21 12 a4 42'), TRANSACTION_ID, Buffer.alloc(1500)])],
  ];
  for (const [name, packet] of bad) assert.throws(() => decodeStunMessage(packet), StunParseError, name);
});

test('random bytes never throw anything but StunParseError', () => {
  for (let i = 0; i < 2000; i++) {
    const packet = randomBytes(i % 200);
    // Half of them get a valid-looking header so the attribute walk is exercised.
    if (i % 2 === 0 && packet.length >= 20) {
      packet.writeUInt16BE(0x0001, 0);
      packet.writeUInt16BE(packet.length - 20 - ((packet.length - 20) % 4), 2);
      packet.writeUInt32BE(0x2112a442, 4);
    }
    try {
      decodeStunMessage(packet);
    } catch (err) {
      assert.ok(err instanceof StunParseError, String(err));
    }
  }
  assert.equal(looksLikeStun(SAMPLE_REQUEST), true);
  assert.equal(looksLikeStun(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), false);
});
