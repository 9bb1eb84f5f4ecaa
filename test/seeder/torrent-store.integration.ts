import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import parseTorrent from 'parse-torrent';
import type { ManifestResponse } from '../../protocol/manifest.js';
import { pieceLengthFor } from '../../seeder/torrent/piece-length.js';
import { safeName, TorrentStore } from '../../seeder/torrent/torrent-store.js';
import { CountingOrigin, pseudoRandomBytes } from './counting-origin.js';
import { startSeederHarness } from './seeder-harness.js';

const VIDEO = pseudoRandomBytes(3 * 1024 * 1024 + 12_345, 21);

async function infoHashVia(proxyUrl: URL, path: string): Promise<string> {
  const res = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(path)}`, proxyUrl));
  const body = (await res.body.json()) as ManifestResponse;
  const infoHash = body.assets[0]?.infoHash;
  assert.ok(infoHash, JSON.stringify(body));
  return infoHash;
}

describe('video torrents', () => {
  let torrentRoute: string;
  let origin: CountingOrigin;

  before(async () => {
    torrentRoute = await mkdtemp(join(tmpdir(), 'pc-torrent-route-'));
    origin = new CountingOrigin();
    await origin.listen();
    origin.add('/videos/my%20clip.webm', VIDEO, 'video/webm').add('/audio/tone.ogg', pseudoRandomBytes(40_000, 5), 'audio/ogg');
  });

  after(async () => {
    await origin.close();
    await rm(torrentRoute, { recursive: true, force: true });
  });

  test('the .torrent parses, names the webseed and tracker, and its pieces verify against the file', async () => {
    const h = await startSeederHarness({ origin, torrentRoute });
    try {
      const infoHash = await infoHashVia(h.proxyUrl, '/videos/my%20clip.webm');
      assert.match(infoHash, /^[0-9a-f]{40}$/);
      const files = await readdir(join(torrentRoute, 'torrents'));
      assert.ok(files.includes(`${infoHash}.torrent`));

      const res = await request(new URL(`/__p2p/torrents/${infoHash}.torrent`, h.proxyUrl));
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/x-bittorrent');
      const parsed = await parseTorrent(new Uint8Array(await res.body.arrayBuffer()));
      assert.equal(parsed.infoHash, infoHash);
      assert.equal(parsed.length, VIDEO.length);
      assert.equal(parsed.name, safeName('my%20clip.webm'));
      assert.equal(parsed.pieceLength, pieceLengthFor(VIDEO.length));
      assert.deepEqual(parsed.announce, [`ws://${h.proxyUrl.host}/__p2p/tracker`]);
      assert.equal(parsed.urlList.length, 1);
      assert.match(parsed.urlList[0]!, new RegExp(`^http://${h.proxyUrl.host}/__p2p/seed/[A-Za-z0-9_-]+$`));

      parsed.pieces.forEach((expected, i) => {
        const piece = VIDEO.subarray(i * parsed.pieceLength, (i + 1) * parsed.pieceLength);
        assert.equal(createHash('sha1').update(piece).digest('hex'), expected, `piece ${i}`);
      });

      // The webseed in the torrent serves the very bytes the pieces describe.
      const seed = await request(parsed.urlList[0]!, { headers: { range: `bytes=0-${parsed.pieceLength - 1}` } });
      const firstPiece = Buffer.from(await seed.body.arrayBuffer());
      assert.equal(createHash('sha1').update(firstPiece).digest('hex'), parsed.pieces[0]);
    } finally {
      await h.close();
    }
  });

  test('the info hash is stable across restarts (fresh cache, same torrentRoute)', async () => {
    const first = await startSeederHarness({ origin, torrentRoute });
    const a = await infoHashVia(first.proxyUrl, '/audio/tone.ogg');
    await first.close();
    const second = await startSeederHarness({ origin, torrentRoute });
    try {
      const b = await infoHashVia(second.proxyUrl, '/audio/tone.ogg');
      assert.equal(b, a);
      assert.ok(second.seeder.torrents.known(b));
    } finally {
      await second.close();
    }
  });

  test('torrent routes refuse anything but a 40-hex name', async () => {
    const h = await startSeederHarness({ origin, torrentRoute });
    try {
      for (const path of ['/__p2p/torrents/..%2F..%2Fetc%2Fpasswd', '/__p2p/torrents/ABC.torrent', `/__p2p/torrents/${'0'.repeat(40)}.torrent`]) {
        const res = await request(new URL(path, h.proxyUrl));
        assert.equal(res.statusCode, 404, path);
        await res.body.dump();
      }
    } finally {
      await h.close();
    }
  });
});

test('piece length grows with size and stays a power of two within 16 KiB-1 MiB', () => {
  assert.equal(pieceLengthFor(400_000), 16 * 1024);
  assert.equal(pieceLengthFor(20_000_000), 32 * 1024);
  assert.equal(pieceLengthFor(2_000_000_000), 1024 * 1024);
});

test('served torrents announce P2P_TRACKER_URL when set, else the base\'s own <prefix>/tracker; the info hash is the same', async () => {
  const route = await mkdtemp(join(tmpdir(), 'pc-torrent-tracker-'));
  try {
    const bytes = pseudoRandomBytes(40_000, 7);
    const source = { id: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'clip.webm', input: bytes };
    const own = new TorrentStore(route, '/__p2p');
    const external = new TorrentStore(route, '/__p2p', 'wss://tracker.example.com/announce');
    const created = await own.create(source, bytes.length);
    assert.equal((await external.create(source, bytes.length)).infoHash, created.infoHash, 'the tracker is not part of the info hash');
    const ownServed = await parseTorrent((await own.forBase(created.infoHash, 'https://www.example.com/'))!);
    assert.deepEqual(ownServed.announce, ['wss://www.example.com/__p2p/tracker']);
    const externalServed = await parseTorrent((await external.forBase(created.infoHash, 'https://www.example.com/'))!);
    assert.deepEqual(externalServed.announce, ['wss://tracker.example.com/announce']);
    assert.deepEqual(externalServed.urlList, ['https://www.example.com/__p2p/seed/AAAAAAAAAAAAAAAAAAAAAA'], 'the webseed stays on the proxy');
  } finally {
    await rm(route, { recursive: true, force: true });
  }
});
