import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureStreamingWorker } from '../../client/media/service-worker.js';

const ORIGIN = 'http://127.0.0.1:8080';
const OURS = `${ORIGIN}/__p2p/sw.min.js`;

interface FakeOptions {
  controller?: string;
  registered?: string;
  secure?: boolean;
}

function fakeWindow(options: FakeOptions): { win: Window; registered: string[] } {
  const registered: string[] = [];
  const listeners: (() => void)[] = [];
  const container = {
    controller: options.controller ? { scriptURL: options.controller } : null,
    getRegistration: async () => (options.registered ? { active: { scriptURL: options.registered } } : undefined),
    register: async (url: string) => {
      registered.push(url);
      // The worker claims the page right away, as sw.min.js does on activate.
      setTimeout(() => {
        container.controller = { scriptURL: url };
        for (const l of listeners) l();
      }, 1);
      return { scope: `${ORIGIN}/` };
    },
    addEventListener: (_type: string, listener: () => void) => listeners.push(listener),
  };
  const win = {
    isSecureContext: options.secure ?? true,
    location: { href: `${ORIGIN}/video.html` },
    navigator: { serviceWorker: container },
  } as unknown as Window;
  return { win, registered };
}

test('a page controlled by the site\'s own worker keeps it: no registration, plain HTTP', async () => {
  const { win, registered } = fakeWindow({ controller: `${ORIGIN}/site-sw.js` });
  assert.equal(await ensureStreamingWorker(win, '/__p2p/sw.min.js'), undefined);
  assert.deepEqual(registered, []);
});

test('a site worker registered but not yet controlling is not replaced either', async () => {
  const { win, registered } = fakeWindow({ registered: `${ORIGIN}/site-sw.js` });
  assert.equal(await ensureStreamingWorker(win, '/__p2p/sw.min.js'), undefined);
  assert.deepEqual(registered, []);
});

test('no worker yet: ours is registered for scope / and waited for', async () => {
  const { win, registered } = fakeWindow({});
  const registration = await ensureStreamingWorker(win, '/__p2p/sw.min.js');
  assert.ok(registration);
  assert.deepEqual(registered, [OURS]);
});

test('insecure contexts have no Service Worker: undefined', async () => {
  const { win, registered } = fakeWindow({ secure: false });
  assert.equal(await ensureStreamingWorker(win, '/__p2p/sw.min.js'), undefined);
  assert.deepEqual(registered, []);
});
