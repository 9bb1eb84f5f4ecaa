import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, WebSocketRoute } from 'playwright-core';
import { injectFault } from '../helpers/fault.js';
import type { ClientMessage } from '../../protocol/signal-messages.js';
import type { RunningApp } from '../../proxy/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { imageStates, scrollThrough, surface, visit, waitForHeld, waitForImagesPainted, type Visitor } from '../helpers/p2p-page.js';
import { waitFor } from '../helpers/wait.js';

/** Bound for the server-side and client-side changes these tests wait for. */
const SETTLE_MS = 30_000;
const SIGNAL_PATH = /\/__p2p\/signal/;

let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** One signaling WebSocket of a page, relayed through the test so the test can cut it and read what the page sent. */
interface RelayedSocket {
  page: WebSocketRoute;
  server: WebSocketRoute;
  /** Frames the page sent, parsed, in order. */
  sent: ClientMessage[];
}

/** Relays every signaling socket of `context` to the real server, keeping a handle on each. */
async function relaySignaling(context: BrowserContext): Promise<RelayedSocket[]> {
  const sockets: RelayedSocket[] = [];
  await context.routeWebSocket(SIGNAL_PATH, (page) => {
    const server = page.connectToServer();
    const socket: RelayedSocket = { page, server, sent: [] };
    sockets.push(socket);
    page.onMessage((message) => {
      if (typeof message === 'string') socket.sent.push(JSON.parse(message) as ClientMessage);
      server.send(message);
    });
    server.onMessage((message) => page.send(message));
    page.onClose((code, reason) => server.close({ code, reason }));
    server.onClose((code, reason) => page.close({ code, reason }));
  });
  return sockets;
}

/** A visitor that loads the page over HTTP and holds images; `ids` are those it holds. */
async function holder(base: string, agent: string, prepare?: (context: BrowserContext) => Promise<void>): Promise<{ visitor: Visitor; ids: string[] }> {
  const visitor = await visit(browser, base, agent, prepare);
  await scrollThrough(visitor.page);
  await waitForImagesPainted(visitor.page);
  // Not every tagged image is held (the manifest refuses some for peers): the checks are about the ones held now.
  await waitForHeld(visitor.page, 1);
  return { visitor, ids: (await surface(visitor.page)).held };
}

test('signaling cut mid-session: the client reconnects, announces its holdings again, and then serves a new visitor', async () => {
  const app: RunningApp = await startProxy({ P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: '8000' });
  const contexts: BrowserContext[] = [];
  try {
    const base = new URL('/', app.url).href;
    let sockets: RelayedSocket[] = [];
    const { visitor: first, ids } = await holder(base, 'reconnecting-holder', async (context) => {
      sockets = await relaySignaling(context);
    });
    contexts.push(first.context);
    const registry = app.signaling.registry;
    assert.ok(ids.length > 0);
    await waitFor(() => ids.every((id) => registry.holderCount(id) === 1), 'the holder announced', SETTLE_MS);
    const oldId = (await surface(first.page)).peerId;
    assert.ok(oldId);
    assert.equal(sockets.length, 1);

    // Cut the signaling socket from both ends, as a proxy restart or a network change would.
    const cut = sockets[0] as RelayedSocket;
    await cut.server.close({ code: 1001, reason: 'test cut' });
    await cut.page.close({ code: 1006, reason: 'test cut' }).catch(() => undefined);
    await waitFor(() => ids.every((id) => registry.holderCount(id) === 0), 'the server dropped the cut session', SETTLE_MS);

    // The page comes back on a new socket, is welcomed with a new id and says `have` again.
    await waitFor(() => ids.every((id) => registry.holderCount(id) === 1), 'the holder announced again after reconnecting', SETTLE_MS);
    assert.ok(sockets.length >= 2, 'a new signaling socket was opened');
    const again = sockets.at(-1) as RelayedSocket;
    const announced = new Set(again.sent.flatMap((m) => (m.type === 'have' ? m.assets : [])));
    for (const id of ids) assert.ok(announced.has(id), `re-announced ${id}`);
    const newId = (await surface(first.page)).peerId;
    assert.ok(newId && newId !== oldId, 'the new session has a new peer id');

    // A new visitor is sent to peers and served by the reconnected holder.
    const second = await visit(browser, base, 'after-reconnect');
    contexts.push(second.context);
    await scrollThrough(second.page);
    await waitForImagesPainted(second.page);
    const states = await imageStates(second.page);
    assert.ok(states.some((s) => s.mode === 'peer'), 'the injector sent the new visitor to peers');
    assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], 'every image rendered');
    const s = await surface(second.page);
    const fromPeer = Object.values(s.assets).filter((r) => r.source === 'peer');
    assert.ok(fromPeer.length > 0, `images from the peer expected, got fallbacks ${JSON.stringify(s.fallbacks)}`);
    assert.ok(fromPeer.every((r) => r.peer === newId), 'served by the holder under its new id');
    assert.ok(s.bytes.peer > 0);
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await app.close();
  }
});

test('ICE that cannot form: the asker releases its images at once with reason ice-failed, after its link report', async () => {
  // A per-image deadline far beyond the ICE deadline: a fallback for `timeout` would mean the link failure was not acted on.
  const app: RunningApp = await startProxy({ P2P_THRESHOLD: '1', P2P_PEER_TIMEOUT_MS: '60000' }, { clientTestHooks: true });
  const contexts: BrowserContext[] = [];
  try {
    const base = new URL('/', app.url).href;
    // The holder neither sends its ICE candidates nor uses the asker's: no candidate pair can ever form.
    const { visitor: unreachable } = await holder(base, 'unreachable-holder', (context) => injectFault(context, 'drop-candidates'));
    contexts.push(unreachable.context);
    const holderId = (await surface(unreachable.page)).peerId;
    assert.ok(holderId);

    let sockets: RelayedSocket[] = [];
    const asker = await visit(browser, base, 'asker', async (context) => {
      sockets = await relaySignaling(context);
    });
    contexts.push(asker.context);
    await scrollThrough(asker.page);
    await waitForImagesPainted(asker.page, SETTLE_MS);

    const states = await imageStates(asker.page);
    assert.ok(states.some((s) => s.mode === 'peer'), 'the asker was sent to peers');
    assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], 'every image rendered');
    const s = await surface(asker.page);
    assert.ok((s.fallbacks['ice-failed'] ?? 0) >= 1, `ice-failed fallbacks expected, got ${JSON.stringify(s.fallbacks)}`);
    assert.equal(s.fallbacks.timeout ?? 0, 0, 'nothing waited for the per-image deadline');
    assert.equal(s.bytes.peer, 0);
    const failed = Object.values(s.assets).filter((r) => r.fallback === 'ice-failed');
    for (const record of failed) assert.ok(record.candidates?.includes('host'), `candidate types tried are reported: ${JSON.stringify(record)}`);

    // What the asker told signaling, in order: an offer to the holder, then one failed link report about it.
    const sent = sockets.flatMap((socket) => socket.sent);
    const offer = sent.findIndex((m) => m.type === 'offer' && m.to === holderId);
    const reports = sent.filter((m): m is Extract<ClientMessage, { type: 'link' }> => m.type === 'link' && m.peer === holderId);
    assert.ok(offer >= 0, 'the asker offered a link to the holder');
    assert.equal(reports.length, 1, 'one link report per connection attempt');
    const report = reports[0] as Extract<ClientMessage, { type: 'link' }>;
    assert.ok(sent.indexOf(report) > offer, 'the report follows the offer');
    assert.equal(report.ok, false);
    assert.equal(report.local, undefined, 'no pair was selected');
    assert.ok(report.gathered.includes('host'), `gathered ${JSON.stringify(report.gathered)}`);
    // The signaling protocol's own parser accepts what the client sent.
    const { parseClientMessage } = await import('../../protocol/signal-messages.js');
    assert.deepEqual(parseClientMessage(JSON.stringify(report)), report);

    // The report beacon with candidate types passed the server's schema.
    let serverFallbacks = 0;
    const deadline = Date.now() + SETTLE_MS;
    while (serverFallbacks < failed.length && Date.now() < deadline) {
      const res = await fetch(new URL('/__p2p/stats', app.url));
      serverFallbacks = ((await res.json()) as { fallbacks: Record<string, number> }).fallbacks['ice-failed'] ?? 0;
      if (serverFallbacks < failed.length) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(serverFallbacks, failed.length, '/stats counted every ice-failed fallback');
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await app.close();
  }
});

test('P2P_PRIVACY=strict without a TURN server: no peer connections, every image over HTTP, still reported', async () => {
  const app: RunningApp = await startProxy({ P2P_THRESHOLD: '1', P2P_PRIVACY: 'strict' });
  const contexts: BrowserContext[] = [];
  try {
    const base = new URL('/', app.url).href;
    let firstSockets: RelayedSocket[] = [];
    const first = await visit(browser, base, 'strict-first', async (context) => {
      firstSockets = await relaySignaling(context);
    });
    contexts.push(first.context);
    await scrollThrough(first.page);
    await waitForImagesPainted(first.page);
    let sockets: RelayedSocket[] = [];
    const second = await visit(browser, base, 'strict-second', async (context) => {
      sockets = await relaySignaling(context);
    });
    contexts.push(second.context);
    await scrollThrough(second.page);
    await waitForImagesPainted(second.page);
    const states = await imageStates(second.page);
    assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], 'every image rendered');
    const s = await surface(second.page);
    assert.equal(s.bytes.peer, 0);
    assert.ok(Object.keys(s.assets).length > 0, 'images are still reported');
    assert.ok(Object.values(s.assets).every((r) => r.source === 'server'));
    const sent = [...firstSockets, ...sockets].flatMap((socket) => socket.sent.map((m) => m.type));
    assert.ok(sent.includes('hello'), 'signaling was joined');
    for (const type of ['offer', 'answer', 'candidate', 'have', 'nat'] as const) assert.ok(!sent.includes(type), `no ${type} sent`);
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await app.close();
  }
});
