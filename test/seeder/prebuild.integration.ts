import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { urlPathFor } from '../../seeder/torrent/prebuild.js';
import { CountingOrigin, pseudoRandomBytes } from './counting-origin.js';
import { startSeederHarness } from './seeder-harness.js';

test('a local folder maps onto origin paths', () => {
  assert.equal(urlPathFor('./assets/videos', 'assets/videos/a b.mp4'), '/assets/videos/a%20b.mp4');
  assert.equal(urlPathFor('assets/videos', 'assets/videos/sub/c.webm'), '/assets/videos/sub/c.webm');
  assert.equal(urlPathFor('/srv/site/videos', '/srv/site/videos/d.ogg'), '/videos/d.ogg');
});

test('--prebuild builds a torrent for every media file of the folder, from the origin bytes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pc-prebuild-'));
  const folder = join(root, 'videos');
  await mkdir(join(folder, 'more'), { recursive: true });
  const a = pseudoRandomBytes(300_000, 1);
  const b = pseudoRandomBytes(200_000, 2);
  await writeFile(join(folder, 'a.webm'), a);
  await writeFile(join(folder, 'more', 'b.mp3'), b);
  await writeFile(join(folder, 'notes.txt'), 'not media');
  const origin = new CountingOrigin();
  await origin.listen();
  origin.add('/videos/a.webm', a, 'video/webm').add('/videos/more/b.mp3', b, 'audio/mpeg');
  const h = await startSeederHarness({ origin });
  try {
    assert.equal(await h.seeder.prebuild(folder), 2);
    const torrents = (await readdir(join(h.torrentRoute, 'torrents'))).filter((name) => name.endsWith('.torrent'));
    assert.equal(torrents.length, 2);
    assert.equal(origin.hitsOf('/videos/a.webm'), 1);
    assert.equal(origin.hitsOf('/videos/notes.txt'), 0);
  } finally {
    await h.close();
    await origin.close();
    await rm(root, { recursive: true, force: true });
  }
});
