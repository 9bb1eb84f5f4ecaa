import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeDataChannel from 'node-datachannel';
import { request } from 'undici';
import WebTorrent from 'webtorrent';
import type { ManifestResponse } from '../../protocol/manifest.js';
import type { RunningApp } from '../../proxy/app.js';
import { installIceCompleteFix } from '../../seeder/peer/ice-complete-fix.js';
import { sha256 } from '../helpers/test-origin.js';
import { startTestApp } from './app-harness.js';
import { CountingOrigin } from './counting-origin.js';
import { SeederProcess, externalSeederEnv } from './seeder-process.js';
import { trackerCompleteCount } from './tracker-probe.js';
import { downloadTorrent } from './leech-download.js';

/** The demo site's video, as the demo origin serves it. */
const DEMO_VIDEO = readFileSync(new URL('../../proxy/demo/media/demo.webm', import.meta.url));
const VIDEO_PATH = '/media/demo.webm';
const SEEDER_START_MS = 60_000;
const SEEDER_COMPLETE_MS = 60_000;
const DOWNLOAD_MS = 60_000;
const POLL_MS = 250;

async function waitUntil(check: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The secret the proxy and the seeder process share (no address is privileged). */
const SEEDER_TOKEN = 'external-seeder-video-token';

describe('SEEDER_MODE=external: video from the seeder process over WebRTC', () => {
  let origin: CountingOrigin;
  let app: RunningApp & { torrentRoute: string };
  let seeder: SeederProcess;
  let leechDir: string;
  let leech: WebTorrent | undefined;

  before(async () => {
    origin = new CountingOrigin();
    await origin.listen();
    origin.add(VIDEO_PATH, DEMO_VIDEO, 'video/webm');
    app = await startTestApp(origin, { seederMode: 'external', seederToken: SEEDER_TOKEN });
    leechDir = await mkdtemp(join(tmpdir(), 'pc-external-leech-'));
    seeder = new SeederProcess(externalSeederEnv(origin.url, app, SEEDER_TOKEN));
    await seeder.waitForLog('seeder joined the proxy', SEEDER_START_MS);
  });

  after(async () => {
    if (leech) await new Promise<void>((resolve) => leech!.destroy(() => resolve()));
    const code = await seeder?.stop();
    await app?.close();
    await origin?.close();
    await rm(leechDir, { recursive: true, force: true });
    nodeDataChannel.cleanup();
    assert.equal(code, 0, `seeder exits cleanly on SIGTERM\n${seeder.output().slice(-2000)}`);
  });

  test('a leech with the webseed disabled downloads the demo video from the seeder, byte for byte', async (t) => {
    // The manifest request makes the proxy build the torrent into the shared torrentRoute.
    const manifest = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(VIDEO_PATH)}`, app.url));
    const infoHash = ((await manifest.body.json()) as ManifestResponse).assets[0]?.infoHash;
    assert.ok(infoHash, 'the proxy built a torrent for the video');
    const torrentRes = await request(new URL(`/__p2p/torrents/${infoHash}.torrent`, app.url));
    assert.equal(torrentRes.statusCode, 200);
    const torrentFile = Buffer.from(await torrentRes.body.arrayBuffer());

    // The seeder process finds the torrent, fetches the bytes from the proxy's
    // webseed and tells the tracker it is complete.
    const joined = performance.now();
    await waitUntil(async () => (await trackerCompleteCount(app.url, infoHash)) >= 1, 'the seeder process complete in the swarm', SEEDER_COMPLETE_MS);
    t.diagnostic(`seeder complete in the swarm after ${(performance.now() - joined).toFixed(0)} ms`);

    installIceCompleteFix();
    leech = new WebTorrent({
      dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false,
      webSeeds: false,
      tracker: { rtcConfig: { iceServers: [] } },
    });
    const started = performance.now();
    const torrent = await downloadTorrent(leech, torrentFile, leechDir, DOWNLOAD_MS, () => `\nseeder log:\n${seeder.output().slice(-3000)}`);
    t.diagnostic(`download complete after ${(performance.now() - started).toFixed(0)} ms over ${torrent.wires.length} wire(s)`);

    const bytes = Buffer.from(await torrent.files[0]!.arrayBuffer());
    assert.equal(bytes.length, DEMO_VIDEO.length);
    assert.equal(sha256(bytes), sha256(DEMO_VIDEO));
    assert.ok(torrent.wires.length > 0);
    assert.deepEqual([...new Set(torrent.wires.map((wire) => wire.type))], ['webrtc']);
    // The origin served the video once, to the proxy; every other copy came from peers or the proxy's cache.
    assert.equal(origin.hitsOf(VIDEO_PATH), 1);
  });
});
