import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import { startApp, type RunningApp } from '../../proxy/app.js';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';
import { CountingOrigin, pseudoRandomBytes, sha256 } from './counting-origin.js';

const VIDEO = pseudoRandomBytes(600_000, 31);
const VIDEO_PATH = '/videos/clip.webm';
const PHOTO = pseudoRandomBytes(30_000, 32);
const PHOTO_PATH = '/img/photo.png';
/** The tmpfs the "full" cases fill up. */
const TMPFS_SIZE = '64k';

/**
 * Mounts only inside the runner's private mount namespace (scripts/netns.mjs):
 * outside it a mount would land on the host.
 */
const inPrivateNamespace = process.env.PEERCONNECT_TEST_NETNS === '1';

function mount(args: string[]): void {
  execFileSync('mount', args, { stdio: 'pipe' });
}

/** Fills the file system under `dir` until the kernel says ENOSPC. */
async function fill(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await writeFile(join(dir, `filler-${i}`), Buffer.alloc(4096));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOSPC') return;
      throw err;
    }
  }
}

interface Started {
  app: RunningApp;
  log: () => string;
}

async function startWithRoute(origin: CountingOrigin, torrentRoute: string): Promise<Started> {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const config = loadConfig({}, {
    origin: origin.url.href.replace(/\/$/, ''), port: 0, host: '127.0.0.1', logLevel: 'error',
    torrentRoute, geoLocate: false, seederMode: 'off',
  });
  const app = await startApp(config, createLogger('error', { destination }));
  return { app, log: () => text };
}

async function manifestOf(app: RunningApp, path: string): Promise<{ status: number; entry: ManifestResponse['assets'][number] }> {
  const res = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(path)}`, app.url));
  const body = (await res.body.json()) as ManifestResponse;
  return { status: res.statusCode, entry: body.assets[0]! };
}

/** What a visitor still gets: the page's media over HTTP, byte-exact. */
async function assertStillProxying(app: RunningApp): Promise<void> {
  for (const [path, bytes] of [[VIDEO_PATH, VIDEO], [PHOTO_PATH, PHOTO]] as const) {
    const res = await request(new URL(path, app.url));
    assert.equal(res.statusCode, 200, path);
    assert.equal(sha256(Buffer.from(await res.body.arrayBuffer())), sha256(bytes), path);
  }
  const range = await request(new URL(VIDEO_PATH, app.url), { headers: { range: 'bytes=100-199' } });
  assert.equal(range.statusCode, 206);
  assert.deepEqual(Buffer.from(await range.body.arrayBuffer()), VIDEO.subarray(100, 200));
  const photo = await manifestOf(app, PHOTO_PATH);
  assert.equal(photo.status, 200);
  assert.equal(photo.entry.sha256, sha256(PHOTO), 'images are still offered peer-to-peer');
}

describe('an unwritable or full torrentRoute: a clear error, and proxying goes on', { skip: !inPrivateNamespace && 'needs the runner\'s private mount namespace (node scripts/run-tests.mjs)' }, () => {
  let origin: CountingOrigin;
  let root: string;

  before(async () => {
    origin = new CountingOrigin();
    await origin.listen();
    origin.add(VIDEO_PATH, VIDEO, 'video/webm').add(PHOTO_PATH, PHOTO, 'image/png');
    root = await mkdtemp(join(tmpdir(), 'pc-torrent-route-faults-'));
  });

  after(async () => {
    await origin.close();
    for (const name of await readdir(root)) {
      try {
        execFileSync('umount', [join(root, name)], { stdio: 'pipe' });
      } catch {
        // not a mount point
      }
    }
    await rm(root, { recursive: true, force: true });
  });

  test('read-only torrentRoute: PC_ERR_TORRENT_ROUTE logged at start and again at the first video, which still plays over HTTP', async () => {
    const dir = join(root, 'read-only');
    execFileSync('mkdir', [dir]);
    mount(['-t', 'tmpfs', '-o', `ro,size=${TMPFS_SIZE}`, 'pc-ro', dir]);
    const { app, log } = await startWithRoute(origin, dir);
    try {
      assert.match(log(), /PC_ERR_TORRENT_ROUTE/);
      assert.match(log(), /cannot be written \(EROFS\)/);
      assert.ok(log().includes(dir), 'the message names the directory');
      const atStart = log().split('\n').filter((l) => l.includes('PC_ERR_TORRENT_ROUTE')).length;

      const video = await manifestOf(app, VIDEO_PATH);
      assert.equal(video.status, 200);
      assert.equal(video.entry.sha256, sha256(VIDEO));
      assert.equal(video.entry.infoHash, undefined, 'no torrent could be stored');
      assert.ok(log().split('\n').filter((l) => l.includes('PC_ERR_TORRENT_ROUTE')).length > atStart, 'the failed torrent is logged with the code');
      await assertStillProxying(app);
    } finally {
      await app.close();
    }
  });

  test('full torrentRoute: PC_ERR_TORRENT_ROUTE (ENOSPC) at start; proxying goes on', async () => {
    const dir = join(root, 'full-at-start');
    execFileSync('mkdir', [dir]);
    mount(['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'pc-full', dir]);
    await fill(dir);
    const { app, log } = await startWithRoute(origin, dir);
    try {
      assert.match(log(), /PC_ERR_TORRENT_ROUTE/);
      assert.match(log(), /ENOSPC/);
      assert.deepEqual(await readdir(join(dir, 'torrents')).catch(() => [] as string[]), [], 'no probe file left behind');
      await assertStillProxying(app);
    } finally {
      await app.close();
    }
  });

  test('torrentRoute fills up after start: the first torrent fails with PC_ERR_TORRENT_ROUTE, no partial file is left, proxying goes on', async () => {
    const dir = join(root, 'fills-later');
    execFileSync('mkdir', [dir]);
    mount(['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'pc-later', dir]);
    const { app, log } = await startWithRoute(origin, dir);
    try {
      assert.doesNotMatch(log(), /PC_ERR_TORRENT_ROUTE/, 'writable at start');
      await fill(dir);
      const video = await manifestOf(app, VIDEO_PATH);
      assert.equal(video.status, 200);
      assert.equal(video.entry.infoHash, undefined);
      assert.match(log(), /PC_ERR_TORRENT_ROUTE/);
      assert.match(log(), /ENOSPC/);
      const torrents = await readdir(join(dir, 'torrents')).catch(() => [] as string[]);
      assert.deepEqual(torrents, [], 'no truncated .torrent or temp file');
      await assertStillProxying(app);
    } finally {
      await app.close();
    }
  });
});
