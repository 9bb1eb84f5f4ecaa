import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { RECONNECT_CAP_MS, RECONNECT_MAX_ATTEMPTS } from '../../client/signal/backoff.js';
import { HolderDirectory } from '../../client/signal/holder-directory.js';
import { SignalClient } from '../../client/signal/signal-client.js';

/** Just what SignalClient uses of a browser WebSocket; the test plays the server. */
class FakeSocket {
  static readonly OPEN = 1;
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.readyState = 3;
  }

  accept(id: string): void {
    this.readyState = 1;
    this.onopen?.();
    this.onmessage?.({ data: JSON.stringify({ v: 1, type: 'welcome', id, iceServers: [{ urls: `stun:${id}.example:3478` }] }) });
  }

  drop(): void {
    this.readyState = 3;
    this.onclose?.();
  }
}

const realWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
beforeEach(() => {
  FakeSocket.all = [];
  (globalThis as { WebSocket?: unknown }).WebSocket = FakeSocket;
  mock.timers.enable({ apis: ['setTimeout'] });
});
afterEach(() => {
  mock.timers.reset();
  (globalThis as { WebSocket?: unknown }).WebSocket = realWebSocket;
});

function client(): { signal: SignalClient; events: string[] } {
  const events: string[] = [];
  const signal = new SignalClient('ws://proxy.test/__p2p/signal', {
    onMessage: (m) => events.push(`message:${m.type}`),
    onWelcome: (again) => events.push(again ? 'welcome-again' : 'welcome'),
    onClose: (final) => events.push(final ? 'close-final' : 'close'),
  });
  return { signal, events };
}

test('a dropped session reconnects after a backoff: new id, fresh ICE servers, onWelcome(again)', async () => {
  const { signal, events } = client();
  const connected = signal.connect('/page');
  FakeSocket.all[0]!.accept('first');
  assert.equal(await connected, 'first');
  assert.equal(signal.ready, true);
  assert.ok(signal.rttMs !== undefined && signal.rttMs >= 0, 'the welcome round trip is measured');
  FakeSocket.all[0]!.drop();
  assert.equal(signal.ready, false);
  assert.equal(signal.down, false, 'reconnecting, not given up');
  mock.timers.tick(RECONNECT_CAP_MS);
  assert.equal(FakeSocket.all.length, 2, 'one new socket after the backoff');
  FakeSocket.all[1]!.accept('second');
  assert.equal(signal.id, 'second');
  assert.deepEqual(signal.iceServers, [{ urls: 'stun:second.example:3478' }]);
  assert.deepEqual(events, ['welcome', 'close', 'welcome-again']);
  assert.match(FakeSocket.all[1]!.sent[0] ?? '', /"type":"hello"/, 'the new socket says hello again');
  signal.close();
});

test('reconnecting gives up after the bounded number of attempts, and close() stops it at once', async () => {
  const { signal, events } = client();
  const connected = signal.connect('/page');
  FakeSocket.all[0]!.drop();
  await assert.rejects(connected, /signaling unavailable/);
  for (let i = 1; i <= RECONNECT_MAX_ATTEMPTS; i++) {
    mock.timers.tick(RECONNECT_CAP_MS);
    assert.equal(FakeSocket.all.length, i + 1, `attempt ${i}`);
    FakeSocket.all[i]!.drop();
  }
  assert.equal(signal.down, true);
  assert.deepEqual(events, ['close-final'], 'never welcomed: only the final give-up is reported');
  mock.timers.tick(RECONNECT_CAP_MS * 4);
  assert.equal(FakeSocket.all.length, RECONNECT_MAX_ATTEMPTS + 1, 'no attempt after giving up');

  const other = client();
  void other.signal.connect('/page').catch(() => undefined);
  const before = FakeSocket.all.length;
  FakeSocket.all[before - 1]!.drop();
  other.signal.close();
  mock.timers.tick(RECONNECT_CAP_MS * 4);
  assert.equal(FakeSocket.all.length, before, 'close() cancels the pending reconnect');
});

test('HolderDirectory.resend asks again for every asset still waiting', () => {
  const sent: string[][] = [];
  const directory = new HolderDirectory((assets) => sent.push(assets));
  void directory.holders('a', 10_000);
  void directory.holders('b', 10_000);
  mock.timers.tick(100);
  assert.deepEqual(sent, [['a', 'b']]);
  directory.onHolders('a', ['p1']);
  directory.resend();
  assert.deepEqual(sent, [['a', 'b'], ['b']]);
  directory.failAll();
  directory.resend();
  assert.equal(sent.length, 2, 'nothing left to ask for');
});
