import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeDataChannel, { PeerConnection } from 'node-datachannel';
import type { IceServer } from '../../protocol/signal-messages.js';
import { mintTurnCredential } from '../../proxy/signaling/turn-credentials.js';
import { STUN_METHOD_BINDING, encodeStunMessage } from '../../proxy/stun/stun-message.js';
import { toNativeIceServers } from '../../seeder/peer/channel-session.js';
import { freePort } from '../helpers/nginx.js';
import { startProxy } from '../helpers/proxy.js';
import { closeAndDrain, gatherCandidates } from '../helpers/gather.js';
import { firstWelcome } from '../helpers/signal-welcome.js';

// node-datachannel's native threads would keep the test process alive.
after(() => nodeDataChannel.cleanup());

/**
 * A real coturn (`use-auth-secret`) on loopback checks what the proxy mints:
 * node-datachannel, restricted to relay candidates, gets a relay allocation with
 * the welcome's credential and none with a forged, tampered or expired one.
 */

const SECRET = 'coturn-test-shared-secret';
const START_TIMEOUT_MS = 10_000;
const GATHER_TIMEOUT_MS = 15_000;
const POLL_MS = 100;
const WAIT_MS = 5_000;

async function startCoturn(port: number): Promise<{ stop(): Promise<void>; output(): string }> {
  // coturn writes a pid file and a user database at fixed default paths: keep them private.
  const dir = await mkdtemp(join(tmpdir(), 'pc-coturn-'));
  const child = spawn('turnserver', [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=peerconnect.test',
    '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--log-file=stdout', '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`, `--userdb=${join(dir, 'turndb')}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    if (output.length < 200_000) output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  // Ready once it answers a STUN Binding request on its UDP port.
  const socket = createSocket('udp4');
  try {
    const answered = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    let ready = false;
    void answered.then(() => { ready = true; });
    while (!ready) {
      if (child.exitCode !== null) throw new Error(`turnserver exited ${child.exitCode}:\n${output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`turnserver not answering on ${port}:\n${output.slice(-2000)}`);
      socket.send(encodeStunMessage({ method: STUN_METHOD_BINDING, class: 'request', transactionId: randomBytes(12) }), port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    socket.close();
  }
  return { stop, output: () => output };
}

/** Relay candidates node-datachannel gathers with only `server` and iceTransportPolicy relay. */
async function relayCandidates(server: IceServer): Promise<string[]> {
  const pc = new PeerConnection('turn-probe', { iceServers: toNativeIceServers([server]), iceTransportPolicy: 'relay' });
  try {
    const candidates = await gatherCandidates(pc, GATHER_TIMEOUT_MS);
    return candidates.filter((c) => / typ relay /.test(c));
  } finally {
    await closeAndDrain(pc);
  }
}

test('coturn (use-auth-secret) relays with the credential from welcome and refuses forged, tampered and expired ones', async () => {
  const port = await freePort();
  const coturn = await startCoturn(port);
  const app = await startProxy({ TURN_URLS: `turn:127.0.0.1:${port}?transport=udp`, TURN_SECRET: SECRET });
  try {
    const { id, iceServers } = (await firstWelcome(app.url)).message;
    const minted = iceServers.find((server) => server.username !== undefined);
    assert.ok(minted, JSON.stringify(iceServers));
    const accepted = await relayCandidates(minted);
    assert.equal(accepted.length >= 1, true, `a relay candidate with the minted credential\n${coturn.output().slice(-2000)}`);
    assert.match(accepted[0] as string, / 127\.0\.0\.1 \d+ typ relay /);

    const forged = mintTurnCredential('not-the-secret', id, 3600, Date.now());
    assert.deepEqual(await relayCandidates({ ...minted, username: forged.username, credential: forged.credential }), [], 'wrong secret');
    assert.deepEqual(await relayCandidates({ ...minted, username: (minted.username as string).replace(id, 'someone-else') }), [], 'username changed, old HMAC');
    const expired = mintTurnCredential(SECRET, id, 60, Date.now() - 3_600_000);
    assert.deepEqual(await relayCandidates({ ...minted, username: expired.username, credential: expired.credential }), [], 'expired');
  } finally {
    await app.close();
    await coturn.stop();
  }
});
