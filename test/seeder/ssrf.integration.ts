import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import { CountingOrigin, pseudoRandomBytes, sha256 } from './counting-origin.js';
import { startSeederHarness, type SeederHarness } from './seeder-harness.js';

const PNG = pseudoRandomBytes(5_000, 11);
const SECRET = pseudoRandomBytes(5_000, 12);

type Answer = { status: number; code: unknown; body: ManifestResponse & { error?: string } };

async function manifest(h: SeederHarness, url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(new URL(`/__p2p/manifest?u=${encodeURIComponent(url)}`, h.proxyUrl), { headers });
  return { status: res.statusCode, code: res.headers['x-peerconnect-error'], body: (await res.body.json()) as Answer['body'] };
}

/**
 * SSRF: an internal service (another loopback port) holds /secret.png; no manifest,
 * webseed or torrent request, and no origin redirect, may make the seeder fetch it.
 */
describe('SSRF forms are refused with PC_ERR_FORBIDDEN_URL and never contacted', () => {
  let h: SeederHarness;
  let internal: CountingOrigin;

  before(async () => {
    internal = new CountingOrigin();
    await internal.listen();
    internal.add('/secret.png', SECRET, 'image/png');
    const p = internal.url.port;
    const origin = new CountingOrigin();
    await origin.listen();
    origin
      .add('/img/photo.png', PNG, 'image/png')
      .redirect('/to-loopback.png', `http://127.0.0.1:${p}/secret.png`)
      .redirect('/to-localhost.png', `http://localhost:${p}/secret.png`)
      .redirect('/to-decimal.png', `http://2130706433:${p}/secret.png`)
      .redirect('/to-mapped.png', `http://[::ffff:127.0.0.1]:${p}/secret.png`)
      .redirect('/to-file.png', 'file:///etc/passwd')
      .redirect('/to-gopher.png', `gopher://127.0.0.1:${p}/_GET`);
    h = await startSeederHarness({ origin });
  });

  after(async () => {
    await h.close();
    await h.origin.close();
    await internal.close();
  });

  test('other hosts, IP literals in every notation, localhost and non-HTTP schemes', async () => {
    const p = internal.url.port;
    const forms = [
      `http://127.0.0.1:${p}/secret.png`,
      `http://localhost:${p}/secret.png`,
      `http://LOCALHOST.:${p}/secret.png`,
      `http://2130706433:${p}/secret.png`, // decimal
      `http://0177.0.0.1:${p}/secret.png`, // octal
      `http://0x7f.0.0.1:${p}/secret.png`, // hex
      `http://127.1:${p}/secret.png`, // short form
      `http://[::1]:${p}/secret.png`,
      `http://[::ffff:127.0.0.1]:${p}/secret.png`, // IPv4-mapped IPv6
      `http://[::ffff:7f00:1]:${p}/secret.png`,
      `http://0.0.0.0:${p}/secret.png`,
      `http://169.254.169.254/latest/meta-data/`,
      `//127.0.0.1:${p}/secret.png`, // protocol-relative
      `http:\\\\127.0.0.1:${p}\\secret.png`, // backslashes, as browsers read them
      `http://${h.proxyUrl.host}@127.0.0.1:${p}/secret.png`, // the site as userinfo
      `https://127.0.0.1:${p}/secret.png`,
      'file:///etc/passwd',
      `gopher://127.0.0.1:${p}/_GET%20/secret.png`,
      'data:image/png;base64,AAAA',
      `ftp://127.0.0.1:${p}/secret.png`,
      `ws://127.0.0.1:${p}/secret.png`,
    ];
    for (const url of forms) {
      const { status, code, body } = await manifest(h, url);
      assert.equal(status, 403, url);
      assert.equal(code, 'PC_ERR_FORBIDDEN_URL', url);
      assert.equal(body.assets[0]?.error, 'forbidden', url);
    }
    assert.equal(internal.totalHits, 0);
  });

  test('redirects to internal addresses or other schemes are refused and not followed', async () => {
    for (const path of ['/to-loopback.png', '/to-localhost.png', '/to-decimal.png', '/to-mapped.png', '/to-file.png', '/to-gopher.png']) {
      const { status, code } = await manifest(h, path);
      assert.equal(status, 403, path);
      assert.equal(code, 'PC_ERR_FORBIDDEN_URL', path);
    }
    assert.equal(internal.totalHits, 0);
  });

  test('a spoofed Host naming the internal service maps the path onto the origin, never onto that host', async () => {
    const host = `127.0.0.1:${internal.url.port}`;
    const { status, body } = await manifest(h, `http://${host}/img/photo.png`, { host });
    assert.equal(status, 200);
    assert.equal(body.assets[0]?.sha256, sha256(PNG), 'the bytes are the origin\'s');
    const secret = await manifest(h, `http://${host}/secret.png`, { host });
    assert.equal(secret.status, 404, 'the origin has no /secret.png');
    assert.equal(internal.totalHits, 0);
  });

  test('webseed and torrent routes take ids, never URLs', async () => {
    const p = internal.url.port;
    for (const path of [
      `/__p2p/seed/http://127.0.0.1:${p}/secret.png`,
      `/__p2p/seed/${encodeURIComponent(`http://127.0.0.1:${p}/secret.png`)}`,
      `/__p2p/torrents/http://127.0.0.1:${p}/x.torrent`,
    ]) {
      const res = await request(new URL(path, h.proxyUrl));
      await res.body.dump();
      assert.equal(res.statusCode, 404, path);
    }
    assert.equal(internal.totalHits, 0);
  });
});
