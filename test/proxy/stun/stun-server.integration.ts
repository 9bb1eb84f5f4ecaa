import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import nodeDataChannel, { PeerConnection } from 'node-datachannel';
import { createLogger } from '../../../core/logger.js';
import { StunServer } from '../../../proxy/stun/stun-server.js';
import {
  ATTR, STUN_METHOD_BINDING, decodeStunMessage, decodeXorAddress, encodeStunMessage,
} from '../../../proxy/stun/stun-message.js';
import { toNativeIceServers } from '../../../seeder/peer/channel-session.js';
import { closeAndDrain, gatherCandidates } from '../../helpers/gather.js';

// node-datachannel's native threads would keep the test process alive.
after(() => nodeDataChannel.cleanup());

const run = promisify(execFile);
const CLIENT_TIMEOUT_MS = 10_000;
const ANSWER_WAIT_MS = 2_000;
/** After garbage, how long the test listens to be sure nothing came back. */
const SILENCE_MS = 300;
const GATHER_TIMEOUT_MS = 10_000;

async function startStun(port = 0): Promise<StunServer> {
  const server = new StunServer({ port, host: '127.0.0.1', logger: createLogger('silent') });
  await server.start();
  return server;
}

/** A UDP client that collects every datagram it receives. */
async function udpClient(): Promise<{ socket: Socket; received: Buffer[]; port: number; next(timeoutMs: number): Promise<Buffer | undefined> }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (packet) => {
    received.push(packet);
    wake?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket, received, port: socket.address().port,
    async next(timeoutMs) {
      if (received.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      return received.shift();
    },
  };
}

test('coturn turnutils_stunclient gets its reflexive address from the built-in responder', async () => {
  const server = await startStun();
  try {
    const { stdout } = await run('turnutils_stunclient', ['-p', String(server.port), '127.0.0.1'], { timeout: CLIENT_TIMEOUT_MS });
    assert.match(stdout, /UDP reflexive addr: 127\.0\.0\.1:\d+/);
    assert.equal(server.stats().answered, 1);
  } finally {
    await server.close();
  }
});

test('garbage, indications and responses get no answer; a Binding request after them does', async () => {
  const server = await startStun();
  const client = await udpClient();
  try {
    const send = (packet: Buffer): void => client.socket.send(packet, server.port as number, '127.0.0.1');
    const transactionId = randomBytes(12);
    send(Buffer.alloc(0));
    send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    send(randomBytes(1400));
    send(Buffer.alloc(2000, 0x01));
    send(encodeStunMessage({ method: STUN_METHOD_BINDING, class: 'indication', transactionId }));
    send(encodeStunMessage({ method: STUN_METHOD_BINDING, class: 'success', transactionId }));
    // An Allocate request (TURN): not this server's business.
    send(encodeStunMessage({ method: 0x003, class: 'request', transactionId }));
    const broken = encodeStunMessage({ method: STUN_METHOD_BINDING, class: 'request', transactionId });
    broken.writeUInt8(broken.readUInt8(broken.length - 1) ^ 0xff, broken.length - 1);
    send(broken);
    assert.equal(await client.next(SILENCE_MS), undefined, 'no answer to anything above');

    send(encodeStunMessage({ method: STUN_METHOD_BINDING, class: 'request', transactionId, fingerprint: false }));
    const answer = await client.next(ANSWER_WAIT_MS);
    assert.ok(answer, 'the Binding request is answered');
    const message = decodeStunMessage(answer);
    assert.equal(message.class, 'success');
    assert.deepEqual(message.transactionId, transactionId);
    assert.equal(message.attributes.at(-1)?.type, ATTR.FINGERPRINT);
    const mapped = message.attributes.find((a) => a.type === ATTR.XOR_MAPPED_ADDRESS);
    assert.ok(mapped);
    assert.deepEqual(decodeXorAddress(mapped.value, transactionId), { address: '127.0.0.1', port: client.port, family: 4 });
    assert.deepEqual(server.stats(), { answered: 1, dropped: 8 });
  } finally {
    client.socket.close();
    await server.close();
  }
});

test('node-datachannel gathers a server-reflexive candidate through the responder', async () => {
  const server = await startStun();
  const pc = new PeerConnection('stun-probe', { iceServers: toNativeIceServers([{ urls: `stun:127.0.0.1:${server.port}` }]) });
  try {
    const candidates = await gatherCandidates(pc, GATHER_TIMEOUT_MS);
    assert.ok(candidates.some((c) => / typ srflx /.test(c)), candidates.join('\n'));
    assert.ok(server.stats().answered >= 1);
  } finally {
    await closeAndDrain(pc);
    await server.close();
  }
});

test('a port already taken leaves the responder off instead of failing', async () => {
  const first = await startStun();
  const second = await startStun(first.port);
  try {
    assert.equal(second.port, undefined);
    assert.equal(typeof first.port, 'number');
  } finally {
    await second.close();
    await first.close();
  }
  assert.equal(first.port, undefined, 'closed: no port');
});
