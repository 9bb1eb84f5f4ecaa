import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '../../core/logger.js';
import { ClientBundle } from '../../proxy/routes/client-bundle.js';
import { P2pRouter } from '../../proxy/routes/router.js';

const logger = createLogger('silent');
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pc-bundle-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Serves `router` on loopback; returns its base URL and a closer. */
async function serve(router: P2pRouter): Promise<{ base: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const subpath = router.match(url.pathname) ?? '';
    void router.handle(req, res, { url, subpath, requestId: 't', clientAddress: '127.0.0.1', publicBase: '' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('client bundle: from the build manifest, named by content hash, cached forever', async () => {
  const code = Buffer.from('console.log("built client");\n');
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
  const dir = join(root, 'manifest-case');
  await mkdir(join(dir, 'dist', 'client'), { recursive: true });
  await writeFile(join(dir, 'dist', 'client', `client.${hash}.js`), code);
  await writeFile(join(dir, 'dist', 'client', 'manifest.json'), JSON.stringify({ file: `client.${hash}.js`, hash, bytes: code.length }));
  const router = new P2pRouter('/__p2p', undefined);
  const bundle = new ClientBundle({ prefix: '/__p2p', router, logger, root: dir, source: 'manifest' });
  await bundle.start();
  assert.equal(bundle.scriptSrc, `/__p2p/client.${hash}.js`);
  assert.equal(bundle.ready(), true);
  const { base, close } = await serve(router);
  try {
    const res = await fetch(`${base}${bundle.scriptSrc}`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await res.text(), code.toString());
    const short = await fetch(`${base}/__p2p/client.js`);
    assert.equal(short.headers.get('cache-control'), 'no-cache');
    assert.equal(await short.text(), code.toString());
  } finally {
    await close();
  }
});

test('client bundle: bundled in-process from client/index.ts when there is no build; vendor hook serves files', async () => {
  const dir = join(root, 'source-case');
  await mkdir(join(dir, 'client'), { recursive: true });
  await writeFile(join(dir, 'client', 'helper.ts'), 'export const greeting: string = "hello from the bundle";\n');
  await writeFile(join(dir, 'client', 'index.ts'), 'import { greeting } from "./helper.js";\n(globalThis as any).greeting = greeting;\n');
  const router = new P2pRouter('/__p2p', undefined);
  const bundle = new ClientBundle({ prefix: '/__p2p', router, logger, root: dir });
  await bundle.start();
  assert.match(bundle.scriptSrc ?? '', /^\/__p2p\/client\.[0-9a-f]{12}\.js$/);
  bundle.addVendorFile('lib.abc123.js', Buffer.from('export default 1;\n'), 'text/javascript; charset=utf-8');
  assert.throws(() => bundle.addVendorFile('../escape.js', Buffer.alloc(0), 'text/plain'), /plain file name/);
  const { base, close } = await serve(router);
  try {
    const res = await fetch(`${base}${bundle.scriptSrc as string}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    const text = await res.text();
    assert.ok(text.includes('hello from the bundle'), 'the helper module was bundled in');
    assert.ok(!text.includes('import '), 'no module imports left');
    const vendor = await fetch(`${base}/__p2p/vendor/lib.abc123.js`);
    assert.equal(vendor.status, 200);
    assert.equal(vendor.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${base}/__p2p/vendor/missing.js`)).status, 404);
  } finally {
    await close();
  }
});

test('client bundle: without sources or build the proxy runs without a client', async () => {
  const router = new P2pRouter('/__p2p', undefined);
  const bundle = new ClientBundle({ prefix: '/__p2p', router, logger, root: join(root, 'empty') });
  await bundle.start();
  assert.equal(bundle.scriptSrc, undefined);
  assert.equal(bundle.ready(), true, 'ready: the proxy serves pages without a client');
});

