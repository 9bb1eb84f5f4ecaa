import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { injectFault } from '../helpers/fault.js';
import { launchBrowser } from '../helpers/browser.js';
import { startProxy } from '../helpers/proxy.js';
import { imageStates, scrollThrough, surface, visit, waitForHeld, waitForImagesPainted, type Visitor } from '../helpers/p2p-page.js';

let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function withProxy(env: Record<string, string>, body: (base: string) => Promise<void>): Promise<void> {
  const app = await startProxy(env, { clientTestHooks: true });
  const visitors: Visitor[] = [];
  try {
    await body(new URL('/', app.url).href);
  } finally {
    for (const v of visitors) await v.context.close().catch(() => undefined);
    await app.close();
  }
}

async function holderThenVisitor(base: string, fault: 'corrupt-bytes' | 'close-mid-transfer' | 'stall-mid-transfer'): Promise<{ holderId: string; visitor: Visitor; holder: Visitor }> {
  const holder = await visit(browser, base, 'holder', (context) => injectFault(context, fault));
  await scrollThrough(holder.page);
  await waitForImagesPainted(holder.page);
  const tagged = (await imageStates(holder.page)).filter((img) => img.id !== null);
  await waitForHeld(holder.page, new Set(tagged.map((img) => img.id)).size);
  const holderId = (await surface(holder.page)).peerId as string;
  assert.ok(holderId);
  const visitor = await visit(browser, base, 'visitor');
  await scrollThrough(visitor.page);
  await waitForImagesPainted(visitor.page);
  return { holderId, visitor, holder };
}

test('a holder sending corrupted bytes: images still render over HTTP and the peer is banned', async () => {
  await withProxy({ P2P_THRESHOLD: '1' }, async (base) => {
    const { holderId, visitor, holder } = await holderThenVisitor(base, 'corrupt-bytes');
    try {
      const states = await imageStates(visitor.page);
      assert.ok(states.filter((s) => s.mode === 'peer').length >= 20, 'the visitor was sent to peers');
      assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], 'every image rendered');
      const s = await surface(visitor.page);
      assert.ok((s.fallbacks['hash-mismatch'] ?? 0) >= 1, `hash-mismatch fallback expected, got ${JSON.stringify(s.fallbacks)}`);
      assert.deepEqual(s.banned, [holderId], 'the corrupt holder is banned');
      assert.equal(s.bytes.peer, 0, 'no unverified byte was used');
      for (const img of states) assert.doesNotMatch(img.currentSrc, /^blob:/);
    } finally {
      await visitor.context.close();
      await holder.context.close();
    }
  });
});

test('a holder closing mid-transfer: images still render over HTTP', async () => {
  await withProxy({ P2P_THRESHOLD: '1' }, async (base) => {
    const { visitor, holder } = await holderThenVisitor(base, 'close-mid-transfer');
    try {
      const states = await imageStates(visitor.page);
      assert.ok(states.filter((s) => s.mode === 'peer').length >= 20);
      assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], 'every image rendered');
      const s = await surface(visitor.page);
      assert.ok((s.fallbacks['peer-closed'] ?? 0) >= 1, `peer-closed fallback expected, got ${JSON.stringify(s.fallbacks)}`);
      assert.equal(s.bytes.peer, 0);
      assert.ok(Object.values(s.assets).every((r) => r.source === 'server' && r.fallback), 'every image fell back');
    } finally {
      await visitor.context.close();
      await holder.context.close();
    }
  });
});

test('a holder going silent mid-transfer with its link open: the stall deadline sends every image to HTTP, none painted from half its bytes', async () => {
  await withProxy({ P2P_THRESHOLD: '1' }, async (base) => {
    const { visitor, holder } = await holderThenVisitor(base, 'stall-mid-transfer');
    try {
      const states = await imageStates(visitor.page);
      assert.ok(states.filter((s) => s.mode === 'peer').length >= 20);
      assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], 'every image rendered');
      const s = await surface(visitor.page);
      assert.ok((s.fallbacks.timeout ?? 0) >= 1, `timeout fallback expected, got ${JSON.stringify(s.fallbacks)}`);
      assert.equal(s.bytes.peer, 0, 'no image from a half-sent transfer');
      for (const img of states) assert.doesNotMatch(img.currentSrc, /^blob:/);
    } finally {
      await visitor.context.close();
      await holder.context.close();
    }
  });
});

test('signaling down: peer-mode images fall back to HTTP with reason signaling-down', async () => {
  await withProxy({ P2P_THRESHOLD: '0' }, async (base) => {
    const visitor = await visit(browser, base, 'no-signal', (context) => context.routeWebSocket(/\/__p2p\/signal/, (ws) => ws.close()));
    try {
      await scrollThrough(visitor.page);
      await waitForImagesPainted(visitor.page);
      const states = await imageStates(visitor.page);
      assert.ok(states.filter((s) => s.mode === 'peer').length >= 20, 'threshold 0 sends every image to peers');
      assert.deepEqual(states.filter((s) => s.parked || s.width === 0), []);
      const s = await surface(visitor.page);
      assert.ok((s.fallbacks['signaling-down'] ?? 0) >= 20, JSON.stringify(s.fallbacks));
    } finally {
      await visitor.context.close();
    }
  });
});

test('page never breaks: a client throwing at start releases every image to HTTP', async () => {
  await withProxy({ P2P_THRESHOLD: '0' }, async (base) => {
    const visitor = await visit(browser, base, 'throwing', (context) => injectFault(context, 'throw-at-start'));
    try {
      await scrollThrough(visitor.page);
      await waitForImagesPainted(visitor.page);
      const states = await imageStates(visitor.page);
      assert.ok(states.filter((s) => s.id !== null).length >= 20);
      assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], 'every image rendered');
      const s = await surface(visitor.page);
      assert.equal(s.state, 'failed');
      assert.match(s.reason ?? '', /throw-at-start/);
    } finally {
      await visitor.context.close();
    }
  });
});

test('opt-outs: cookie, localStorage flag and <meta name="p2p" content="off"> keep everything on HTTP', async () => {
  await withProxy({ P2P_THRESHOLD: '0' }, async (base) => {
    const cases: [string, (context: BrowserContext) => Promise<void>, string][] = [
      ['cookie', (context) => context.addCookies([{ name: 'p2p_optout', value: '1', url: base }]), 'user-opt-out'],
      ['storage', async (context) => {
        await context.addInitScript(() => localStorage.setItem('peerconnect:optout', '1'));
      }, 'user-opt-out'],
      ['meta', async (context) => {
        await context.addInitScript(() => {
        document.addEventListener('readystatechange', () => {
            if (document.readyState === 'interactive') document.head.insertAdjacentHTML('beforeend', '<meta name="p2p" content="off">');
          });
        });
      }, 'meta-off'],
    ];
    for (const [name, prepare, reason] of cases) {
      const visitor = await visit(browser, base, `optout-${name}`, prepare);
      try {
        await scrollThrough(visitor.page);
        await waitForImagesPainted(visitor.page);
        const states = await imageStates(visitor.page);
        assert.deepEqual(states.filter((s) => s.parked || s.width === 0), [], `${name}: every image rendered`);
        const s = await surface(visitor.page);
        assert.equal(s.state, 'off', name);
        assert.equal(s.reason, reason, name);
      } finally {
        await visitor.context.close();
      }
    }
  });
});
