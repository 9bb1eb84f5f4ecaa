import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SignalClient } from '../../client/signal/signal-client.js';
import { TestOrigin } from '../helpers/test-origin.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';
import type { RunningApp } from '../../proxy/app.js';

const CLIENTS = 500;
/** No one-second window may hold more than this share of the reconnects. */
const MAX_SHARE_PER_SECOND = 1 / 5;
const CONNECT_WAIT_MS = 30_000;
/** Generous bound for everyone to be back (the schedule's spread plus a loaded machine). */
const RECONNECT_WAIT_MS = 90_000;
/** Every client holds one asset and announces it again on each welcome. */
const ASSET = 'reconnect-spread-asset'; // 22 characters, like a real asset id

/** The largest number of timestamps inside any window [t, t + widthMs). */
function busiestWindow(times: number[], widthMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= widthMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

let origin: TestOrigin;
let app: RunningApp;
const realWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
const env = (origin: TestOrigin, port: string): Record<string, string> => ({
  ORIGIN: origin.url.origin, PORT: port, SIGNAL_MAX_PEERS_PER_IP: String(CLIENTS * 2),
});

before(async () => {
  // The browser client's own code, on the `ws` package's browser-compatible WebSocket.
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  origin = new TestOrigin();
  await origin.listen();
  app = await startProxy(env(origin, '0'));
});

after(async () => {
  await app.close();
  await origin.close();
  (globalThis as { WebSocket?: unknown }).WebSocket = realWebSocket;
});

test(`proxy restart: ${CLIENTS} real signaling clients come back spread out (no second with more than a fifth of them) and announce again`, async (t) => {
  const welcomes = new Map<number, number[]>();
  const clients = Array.from({ length: CLIENTS }, (_, i) => {
    welcomes.set(i, []);
    const signal: SignalClient = new SignalClient(`ws://127.0.0.1:${app.url.port}/__p2p/signal`, {
      onMessage: () => undefined,
      onWelcome: () => {
        welcomes.get(i)!.push(Date.now());
        signal.sendAssets('have', [ASSET]);
      },
      onClose: () => undefined,
    });
    return signal;
  });
  try {
    await Promise.all(clients.map((c) => c.connect('/page')));
    await waitFor(() => app.signaling.stats().holdings === CLIENTS, 'every first announcement', CONNECT_WAIT_MS);

    const port = app.url.port;
    const closedAt = Date.now();
    await app.close();
    app = await startProxy(env(origin, port));
    const listeningAt = Date.now();
    assert.equal(app.signaling.stats().holdings, 0, 'a new proxy starts with an empty registry');

    await waitFor(() => [...welcomes.values()].every((w) => w.length >= 2), 'every client welcomed again', RECONNECT_WAIT_MS);
    await waitFor(() => app.signaling.stats().holdings === CLIENTS, 'every holding announced again', CONNECT_WAIT_MS);

    const back = [...welcomes.values()].map((w) => w[1]!);
    const busiest = busiestWindow(back, 1_000);
    const spreadMs = Math.max(...back) - Math.min(...back);
    t.diagnostic(`outage ${listeningAt - closedAt} ms; reconnects spread over ${spreadMs} ms; busiest second ${busiest} of ${CLIENTS}`);
    assert.ok(clients.every((c) => !c.down), 'no client gave up');
    assert.ok(busiest <= CLIENTS * MAX_SHARE_PER_SECOND, `busiest second held ${busiest} of ${CLIENTS} reconnects`);
  } finally {
    for (const c of clients) c.close();
  }
});
