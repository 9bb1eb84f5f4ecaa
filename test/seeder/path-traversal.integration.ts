import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CountingOrigin, pseudoRandomBytes } from './counting-origin.js';
import { startSeederHarness, type SeederHarness } from './seeder-harness.js';

const MARKER = 'OUTSIDE-THE-ROUTE-7f3a';
const HASH = 'ab'.repeat(20);

/** GET with the path sent exactly as written (no client-side normalisation of `..` or escapes). */
function rawGet(base: URL, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('path traversal on the seeder routes and folders', () => {
  let root: string;
  let h: SeederHarness;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-traversal-'));
    // A secret beside the torrent route, a torrent-shaped file outside it, and the route itself.
    await writeFile(join(root, 'secret.txt'), MARKER);
    await writeFile(join(root, `${HASH}.torrent`), MARKER);
    const torrentRoute = join(root, 'route');
    await mkdir(join(torrentRoute, 'torrents'), { recursive: true });
    await writeFile(join(torrentRoute, 'secret.txt'), MARKER);
    const origin = new CountingOrigin();
    await origin.listen();
    h = await startSeederHarness({ origin, torrentRoute });
  });

  after(async () => {
    await h.close();
    await h.origin.close();
    await rm(root, { recursive: true, force: true });
  });

  test('/__p2p/seed and /__p2p/torrents: .., %2e%2e, %252e, absolute and NUL forms never serve a file', async () => {
    const paths = [
      '/__p2p/seed/../../secret.txt',
      '/__p2p/seed/..%2f..%2fsecret.txt',
      '/__p2p/seed/%2e%2e/%2e%2e/secret.txt',
      '/__p2p/seed/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/__p2p/seed/%252e%252e%252fsecret.txt',
      `/__p2p/seed/${encodeURIComponent(join(root, 'secret.txt'))}`,
      `/__p2p/seed/${join(root, 'secret.txt')}`,
      '/__p2p/seed/..\\..\\secret.txt',
      `/__p2p/torrents/../${HASH}.torrent`,
      `/__p2p/torrents/..%2f${HASH}.torrent`,
      `/__p2p/torrents/%2e%2e%2f${HASH}.torrent`,
      `/__p2p/torrents/%252e%252e%252f${HASH}.torrent`,
      `/__p2p/torrents/${encodeURIComponent(join(root, HASH))}.torrent`,
      `/__p2p/torrents/${HASH}.torrent%00.txt`,
      `/__p2p/torrents/${HASH}.torrent/../../secret.txt`,
      '/__p2p/torrents/../secret.txt',
      '/__p2p/torrents/%2e%2e/secret.txt',
    ];
    for (const path of paths) {
      const { status, body } = await rawGet(h.proxyUrl, path);
      assert.ok(!body.includes(MARKER), `${path} served a file from outside the route`);
      assert.notEqual(status, 200, path);
    }
    // What left the reserved prefix went to the origin as a plain request, which has none of these files.
    for (const path of h.origin.hits.keys()) assert.ok(!path.includes('torrent'), `origin asked for ${path}`);
  });

  test('videoRoute prebuild: symlinks out of the folder are neither followed nor indexed', async () => {
    const folder = join(root, 'videos');
    await mkdir(folder, { recursive: true });
    const inside = pseudoRandomBytes(50_000, 21);
    await writeFile(join(folder, 'inside.webm'), inside);
    const outsideDir = join(root, 'private');
    await mkdir(outsideDir, { recursive: true });
    await writeFile(join(outsideDir, 'hidden.webm'), pseudoRandomBytes(50_000, 22));
    await symlink(join(outsideDir, 'hidden.webm'), join(folder, 'linked.webm'));
    await symlink(outsideDir, join(folder, 'linked-dir'));
    h.origin.add('/videos/inside.webm', inside, 'video/webm');
    assert.equal(await h.seeder.prebuild(folder), 1);
    assert.equal(h.origin.hitsOf('/videos/inside.webm'), 1);
    assert.equal(h.origin.hitsOf('/videos/linked.webm'), 0);
    assert.equal(h.origin.hitsOf('/videos/linked-dir/hidden.webm'), 0);
  });
});
