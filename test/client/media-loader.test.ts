import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ATTR } from '../../protocol/client-config.js';
import type { ManifestEntry } from '../../protocol/manifest.js';
import { MediaLoader } from '../../client/media/media-loader.js';
import type { Services } from '../../client/services.js';
import { waitFor } from '../helpers/wait.js';

const ORIGIN = 'https://site.test';
const ID = 'v'.repeat(22);
const WAIT_MS = 5_000;
// The loader imports `<prefix>/vendor/webtorrent.min.js`: this prefix makes that a
// module handing back the fake below (the rest of the path is a comment).
const PREFIX = 'data:text/javascript,export default globalThis.__testWebTorrent;//';
const GLOBAL = globalThis as { __testWebTorrent?: unknown; fetch: typeof fetch };

class FakeTorrent extends EventEmitter {
  ready = false;
  done = false;
  downloaded = 0;
  wires = [];
  streamed = 0;
  files = [{ name: 'v.mp4', length: 10, streamTo: () => { this.streamed++; } }];
  addWebSeed(): void {}
  destroy(): void {}
}

class FakeWebTorrent {
  static instances: FakeWebTorrent[] = [];
  readonly torrents: FakeTorrent[] = [];
  destroyed = false;
  constructor() {
    FakeWebTorrent.instances.push(this);
  }
  add(): FakeTorrent {
    const torrent = new FakeTorrent();
    this.torrents.push(torrent);
    return torrent;
  }
  createServer(): void {}
  on(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

/** Just what MediaLoader touches of a page whose worker already controls it. */
function harness(): { loader: MediaLoader; video: HTMLMediaElement; attrs: Map<string, string>; lookup: ReturnType<typeof deferred<ManifestEntry>>; reported: unknown[] } {
  const lookup = deferred<ManifestEntry>();
  const reported: unknown[] = [];
  const worker = new URL(`${PREFIX}/sw.min.js`, `${ORIGIN}/`).href;
  const win = {
    isSecureContext: true,
    location: new URL(`${ORIGIN}/video.html`),
    navigator: {
      serviceWorker: {
        controller: { scriptURL: worker },
        getRegistration: async () => ({ active: { scriptURL: worker } }),
      },
    },
  } as unknown as Window;
  const s = {
    win,
    config: { v: 1, prefix: PREFIX, peerTimeoutMs: 1_000, iceServers: [], mediaTypes: ['video'] },
    manifest: { lookup: () => lookup.promise },
    reporter: { surface: { media: {} }, record: (r: unknown) => reported.push(r) },
    linkIce: () => ({ iceServers: [], deadlineMs: 5_000 }),
  } as unknown as Services;
  const attrs = new Map<string, string>([[ATTR.tag, `${ID}.video.peer`], [ATTR.src, '/v.mp4']]);
  const video = {
    tagName: 'VIDEO',
    children: [],
    ownerDocument: { baseURI: `${ORIGIN}/video.html` },
    getAttribute: (name: string) => attrs.get(name) ?? null,
    hasAttribute: (name: string) => attrs.has(name),
    setAttribute: (name: string, value: string) => attrs.set(name, value),
    removeAttribute: (name: string) => attrs.delete(name),
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  } as unknown as HTMLMediaElement;
  return { loader: new MediaLoader(s), video, attrs, lookup, reported };
}

const ENTRY: ManifestEntry = { url: `${ORIGIN}/v.mp4`, id: ID, infoHash: 'a'.repeat(40), size: 10, p2p: true };
const realFetch = GLOBAL.fetch;
GLOBAL.__testWebTorrent = FakeWebTorrent;
GLOBAL.fetch = (async () => new Response(new Uint8Array([1, 2, 3]))) as typeof fetch;
const loaders: MediaLoader[] = [];

afterEach(() => {
  for (const loader of loaders.splice(0)) loader.close();
  FakeWebTorrent.instances.length = 0;
});
process.on('exit', () => { GLOBAL.fetch = realFetch; });

test('without close(), the fake page streams the video (what the close tests rely on)', async () => {
  const { loader, video, attrs, lookup } = harness();
  loaders.push(loader);
  loader.add(video);
  lookup.resolve(ENTRY);
  await waitFor(() => FakeWebTorrent.instances[0]?.torrents.length === 1, 'torrent added', WAIT_MS);
  const torrent = FakeWebTorrent.instances[0]!.torrents[0]!;
  torrent.ready = true;
  torrent.emit('ready');
  await waitFor(() => torrent.streamed === 1, 'stream started', WAIT_MS);
  assert.equal(attrs.has(ATTR.src), false);
});

test('close() while the manifest lookup is pending: no WebTorrent client, the element is left alone', async () => {
  const { loader, video, attrs, lookup, reported } = harness();
  loaders.push(loader);
  loader.add(video);
  loader.close();
  lookup.resolve(ENTRY);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(FakeWebTorrent.instances.length, 0);
  assert.equal(attrs.get(ATTR.src), '/v.mp4');
  assert.deepEqual(reported, []);
});

test('close() while the torrent gets ready: nothing is streamed and no stats timer starts', async () => {
  const { loader, video, lookup } = harness();
  loaders.push(loader);
  loader.add(video);
  lookup.resolve(ENTRY);
  await waitFor(() => FakeWebTorrent.instances[0]?.torrents.length === 1, 'torrent added', WAIT_MS);
  const torrent = FakeWebTorrent.instances[0]!.torrents[0]!;
  loader.close();
  // A late 'ready' (the real client would have destroyed the torrent; the fake does not).
  torrent.ready = true;
  torrent.emit('ready');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(torrent.streamed, 0);
  assert.equal((loader as unknown as { statsTimer?: unknown }).statsTimer, undefined, 'stats timer started after close()');
  await waitFor(() => FakeWebTorrent.instances[0]!.destroyed, 'WebTorrent client destroyed', WAIT_MS);
});
