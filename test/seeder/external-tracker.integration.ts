import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeDataChannel from 'node-datachannel';
import parseTorrent from 'parse-torrent';
import { request } from 'undici';
import WebTorrent from 'webtorrent';
import { CLIENT_CONFIG_ELEMENT_ID, type ClientConfig } from '../../protocol/client-config.js';
import type { ManifestResponse } from '../../protocol/manifest.js';
import type { RunningApp } from '../../proxy/app.js';
import { installIceCompleteFix } from '../../seeder/peer/ice-complete-fix.js';
import { sha256 } from '../helpers/test-origin.js';
import { startTestApp } from './app-harness.js';
import { CountingOrigin } from './counting-origin.js';
import { SeederProcess, externalSeederEnv } from './seeder-process.js';
import { TrackerProcess } from './tracker-process.js';
import { downloadTorrent } from './leech-download.js';
import { trackerCompleteCount, trackerCompleteCountAt } from './tracker-probe.js';

/** The demo site's video, as the demo origin serves it. */
const DEMO_VIDEO = readFileSync(new URL('../../proxy/demo/media/demo.webm', import.meta.url));
const VIDEO_PATH = '/media/demo.webm';
const PAGE_PATH = '/watch.html';
const PAGE = Buffer.from(`<!doctype html><html><head><title>watch</title></head><body><video src="${VIDEO_PATH}" controls></video></body></html>`);
const ANNOUNCE_MS = 60_000;
const DOWNLOAD_MS = 60_000;
const SEEDER_START_MS = 60_000;
const POLL_MS = 250;
const SEEDER_TOKEN = 'external-tracker-seeder-token';

async function waitUntil(check: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The proxy builds the video's torrent on its first manifest request. */
async function videoInfoHash(app: RunningApp): Promise<string> {
  const manifest = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(VIDEO_PATH)}`, app.url));
  const infoHash = ((await manifest.body.json()) as ManifestResponse).assets[0]?.infoHash;
  assert.ok(infoHash, 'the proxy built a torrent for the video');
  return infoHash;
}

async function servedTorrent(app: RunningApp, infoHash: string): Promise<Buffer> {
  const res = await request(new URL(`/__p2p/torrents/${infoHash}.torrent`, app.url));
  assert.equal(res.statusCode, 200);
  return Buffer.from(await res.body.arrayBuffer());
}

describe('P2P_TRACKER_URL: video swarms on a tracker in its own process, embedded seeder', () => {
  let tracker: TrackerProcess;
  let origin: CountingOrigin;
  let app: RunningApp & { torrentRoute: string };
  let leechDir: string;
  let leech: WebTorrent | undefined;

  before(async () => {
    tracker = await TrackerProcess.start();
    origin = new CountingOrigin();
    await origin.listen();
    origin.add(VIDEO_PATH, DEMO_VIDEO, 'video/webm');
    origin.add(PAGE_PATH, PAGE, 'text/html; charset=utf-8');
    app = await startTestApp(origin, { trackerUrl: tracker.url });
    leechDir = await mkdtemp(join(tmpdir(), 'pc-tracker-leech-'));
  });

  after(async () => {
    if (leech) await new Promise<void>((resolve) => leech!.destroy(() => resolve()));
    await app?.close();
    await origin?.close();
    await tracker?.stop();
    await rm(leechDir, { recursive: true, force: true });
    nodeDataChannel.cleanup();
  });

  test('the page config names the external tracker', async () => {
    const res = await request(new URL(PAGE_PATH, app.url));
    assert.equal(res.statusCode, 200);
    const html = await res.body.text();
    const block = new RegExp(`<script[^>]*id="${CLIENT_CONFIG_ELEMENT_ID}"[^>]*>([^<]*)</script>`).exec(html);
    assert.ok(block, 'the page carries the config block');
    const config = JSON.parse(block[1]!) as ClientConfig;
    assert.equal(config.trackerUrl, tracker.url);
  });

  test('served torrents announce only the external tracker; the embedded seeder announces there, not to the embedded tracker', async () => {
    const infoHash = await videoInfoHash(app);
    const parsed = await parseTorrent(await servedTorrent(app, infoHash));
    assert.deepEqual(parsed.announce, [tracker.url]);
    // The webseed stays on the proxy.
    assert.equal(parsed.urlList.length, 1);
    assert.ok(parsed.urlList[0]!.startsWith(new URL('/__p2p/seed/', app.url).href), parsed.urlList[0]);

    await tracker.waitFor((fact) => fact.infoHash === infoHash, 'the embedded seeder announcing the video to the external tracker', ANNOUNCE_MS);
    await waitUntil(async () => (await trackerCompleteCountAt(tracker.url, infoHash)) >= 1, 'the seeder complete in the external swarm', ANNOUNCE_MS);
    // The embedded tracker is still up but nobody was sent to it.
    assert.equal(await trackerCompleteCount(app.url, infoHash), 0);
  });

  test('a leech with the webseed disabled downloads the video from the seeder it found through the external tracker', async (t) => {
    const infoHash = await videoInfoHash(app);
    const torrentFile = await servedTorrent(app, infoHash);
    await waitUntil(async () => (await trackerCompleteCountAt(tracker.url, infoHash)) >= 1, 'the seeder complete in the external swarm', ANNOUNCE_MS);

    installIceCompleteFix();
    leech = new WebTorrent({
      dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false,
      webSeeds: false,
      tracker: { rtcConfig: { iceServers: [] } },
    });
    const started = performance.now();
    const torrent = await downloadTorrent(leech, torrentFile, leechDir, DOWNLOAD_MS);
    t.diagnostic(`download complete after ${(performance.now() - started).toFixed(0)} ms over ${torrent.wires.length} wire(s)`);
    const bytes = Buffer.from(await torrent.files[0]!.arrayBuffer());
    assert.equal(sha256(bytes), sha256(DEMO_VIDEO));
    assert.deepEqual([...new Set(torrent.wires.map((wire) => wire.type))], ['webrtc']);
    // Two peers met in the external swarm: the seeder and this leech.
    const peers = new Set(tracker.announces().filter((fact) => fact.infoHash === infoHash).map((fact) => fact.peerId));
    assert.ok(peers.size >= 2, `announces from ${peers.size} peer(s)`);
  });
});

describe('P2P_TRACKER_URL: the external seeder process announces to the external tracker', () => {
  let tracker: TrackerProcess;
  let origin: CountingOrigin;
  let app: RunningApp & { torrentRoute: string };
  let seeder: SeederProcess;

  before(async () => {
    tracker = await TrackerProcess.start();
    origin = new CountingOrigin();
    await origin.listen();
    origin.add(VIDEO_PATH, DEMO_VIDEO, 'video/webm');
    app = await startTestApp(origin, { seederMode: 'external', seederToken: SEEDER_TOKEN, trackerUrl: tracker.url });
    seeder = new SeederProcess(externalSeederEnv(origin.url, app, SEEDER_TOKEN, { P2P_TRACKER_URL: tracker.url }));
    await seeder.waitForLog('seeder joined the proxy', SEEDER_START_MS);
  });

  after(async () => {
    const code = await seeder?.stop();
    await app?.close();
    await origin?.close();
    await tracker?.stop();
    nodeDataChannel.cleanup();
    assert.equal(code, 0, `seeder exits cleanly on SIGTERM\n${seeder.output().slice(-2000)}`);
  });

  test('the seeder process finds the torrent and becomes complete in the external swarm only', async () => {
    const infoHash = await videoInfoHash(app);
    await waitUntil(async () => (await trackerCompleteCountAt(tracker.url, infoHash)) >= 1, 'the seeder process complete in the external swarm', ANNOUNCE_MS);
    assert.ok(tracker.announces().some((fact) => fact.infoHash === infoHash && fact.event !== 'stop'));
    assert.equal(await trackerCompleteCount(app.url, infoHash), 0);
  });
});
