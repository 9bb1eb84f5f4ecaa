import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { SIGNAL_PROTOCOL_VERSION, type HelloMessage } from '../../protocol/signal-messages.js';
import { AddressLimiter } from '../../proxy/signaling/address-limiter.js';
import { Admission, seederAllowed, type UpgradeAdmitted, type UpgradeRefusal } from '../../proxy/signaling/admission.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

function admission(options: { maxPeers?: number; perAddress?: number; seederSecret?: string } = {}): Admission {
  return new Admission({
    limiter: new AddressLimiter(options.perAddress ?? 8),
    maxPeers: options.maxPeers ?? 100,
    seederSecret: options.seederSecret ?? 'per-process-random-secret',
  });
}

function admitted(result: UpgradeAdmitted | UpgradeRefusal): UpgradeAdmitted {
  assert.equal(result.admitted, true, `refused: ${result.admitted ? '' : result.reason}`);
  return result as UpgradeAdmitted;
}

function refusal(result: UpgradeAdmitted | UpgradeRefusal): Pick<UpgradeRefusal, 'reason' | 'error'> {
  assert.equal(result.admitted, false);
  const { reason, error } = result as UpgradeRefusal;
  return { reason, error };
}

const hello = (role: 'browser' | 'seeder', token?: string): HelloMessage => ({
  v: SIGNAL_PROTOCOL_VERSION, type: 'hello', role, ...(token !== undefined ? { token } : {}),
});

test('admission: maxPeers counts open sessions and handshakes in progress (overloaded)', () => {
  const gate = admission({ maxPeers: 3 });
  const first = admitted(gate.admit(new EventEmitter(), '198.51.100.1', 0));
  admitted(gate.admit(new EventEmitter(), '198.51.100.2', 0));
  assert.equal(gate.pending, 2);
  assert.deepEqual(refusal(gate.admit(new EventEmitter(), '198.51.100.3', 1)), { reason: 'full', error: 'PC_ERR_OVERLOADED' });
  first.upgraded();
  assert.equal(gate.pending, 1, 'a finished handshake no longer counts as pending');
  assert.deepEqual(refusal(gate.admit(new EventEmitter(), '198.51.100.3', 2)), { reason: 'full', error: 'PC_ERR_OVERLOADED' });
  admitted(gate.admit(new EventEmitter(), '198.51.100.3', 1));
});

test('admission: per-address limit is rate limited and frees the slot when the socket closes', () => {
  const gate = admission({ perAddress: 1 });
  const socket = new EventEmitter();
  admitted(gate.admit(socket, '198.51.100.1', 0)).upgraded();
  assert.deepEqual(refusal(gate.admit(new EventEmitter(), '198.51.100.1', 1)), { reason: 'per-address', error: 'PC_ERR_RATE_LIMITED' });
  admitted(gate.admit(new EventEmitter(), '198.51.100.2', 1));
  socket.emit('close');
  admitted(gate.admit(new EventEmitter(), '198.51.100.1', 1));
});

test('admission: a socket that closes mid-handshake frees its place exactly once', () => {
  const gate = admission();
  const socket = new EventEmitter();
  const place = admitted(gate.admit(socket, '198.51.100.1', 0));
  socket.emit('close');
  assert.equal(gate.pending, 0);
  place.upgraded();
  assert.equal(gate.pending, 0, 'upgraded() after close does not count down twice');
});

test('admission: after stop() every upgrade is refused as shutting down', () => {
  const gate = admission();
  gate.stop();
  assert.deepEqual(refusal(gate.admit(new EventEmitter(), '198.51.100.1', 0)), { reason: 'closing', error: 'PC_ERR_SHUTTING_DOWN' });
});

test('admission: hello must be first; browser always allowed; seeder needs the exact seeder secret', () => {
  const gate = admission({ seederSecret: ADMIN_TOKEN });
  assert.deepEqual(gate.hello(hello('browser'), false), { reason: 'bad-message', message: 'hello must be the first message' });
  assert.equal(gate.hello(hello('browser'), true), 'browser');
  assert.equal(gate.hello(hello('seeder', ADMIN_TOKEN), true), 'seeder');
  for (const token of [undefined, 'wrong', `${ADMIN_TOKEN}x`, ADMIN_TOKEN.replace(/.$/, 'X')]) {
    const outcome = gate.hello(hello('seeder', token), true);
    assert.equal(typeof outcome === 'object' && outcome.reason, 'unauthorized', `token ${token}`);
  }
});

test('admission: no address is privileged: loopback needs the secret too', () => {
  assert.equal(seederAllowed('per-process-random-secret', undefined), false);
  assert.equal(seederAllowed('per-process-random-secret', 'anything'), false);
  assert.equal(seederAllowed('per-process-random-secret', 'per-process-random-secret'), true);
  assert.equal(seederAllowed('', ''), false, 'an empty secret admits nobody');
});
