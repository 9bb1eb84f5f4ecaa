import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import type { RouteContext, RouteHandler } from '../../core/feature.js';
import { ERROR_CODE_HEADER } from '../../core/http/error-response.js';
import { P2pRouter } from '../../proxy/routes/router.js';

const PREFIX = '/__p2p';
const TOKEN = 'admin-token-0123456789';

const context = (url: URL, subpath: string): RouteContext => ({ url, subpath, requestId: 'r', clientAddress: '127.0.0.1', publicBase: 'http://x' });

test('match: the prefix itself and paths below it are ours; look-alikes and others are not', () => {
  const router = new P2pRouter(PREFIX, undefined);
  assert.equal(router.match('/__p2p'), '');
  assert.equal(router.match('/__p2p/'), '');
  assert.equal(router.match('/__p2p/stats'), 'stats');
  assert.equal(router.match('/__p2p/seed/abc/def'), 'seed/abc/def');
  assert.equal(router.match('/__p2px'), undefined);
  assert.equal(router.match('/__p2p.js'), undefined);
  assert.equal(router.match('/'), undefined);
  assert.equal(router.match('/other/__p2p/stats'), undefined);
});

test('upgrades go to the handler registered for the exact subpath', () => {
  const router = new P2pRouter(PREFIX, undefined);
  const seen: string[] = [];
  router.upgrade('signal', (_req, _socket, _head, ctx) => seen.push(ctx.subpath));
  const socket = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
  const req = {} as IncomingMessage;
  const url = new URL('http://x/__p2p/signal');
  assert.equal(router.handleUpgrade(req, socket, Buffer.alloc(0), context(url, 'signal')), true);
  assert.equal(router.handleUpgrade(req, socket, Buffer.alloc(0), context(url, 'signal/x')), false);
  assert.equal(router.handleUpgrade(req, socket, Buffer.alloc(0), context(url, 'tracker')), false);
  assert.deepEqual(seen, ['signal']);
});

describe('routing requests', () => {
  let server: Server;
  let base: string;
  const routers = new Map<string, P2pRouter>();

  const named = (name: string): RouteHandler => (_req, res, ctx) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${name}:${ctx.subpath}`);
  };

  before(async () => {
    const open = new P2pRouter(PREFIX, undefined)
      .route('stats', named('stats'), { admin: true })
      .route('seed/', named('seed-below'))
      .route('seed/special', named('seed-special'))
      .route('report', named('report'), { methods: ['POST'] })
      .route('thrower', () => Promise.reject(new Error('handler failed')));
    const guarded = new P2pRouter(PREFIX, TOKEN)
      .route('stats', named('stats'), { admin: true })
      .route('public', named('public'))
      .route('admin-post', named('admin-post'), { admin: true, methods: ['POST'] });
    routers.set('open', open);
    routers.set('guarded', guarded);
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://proxy.test');
      const router = routers.get(req.headers['x-router'] as string) as P2pRouter;
      const subpath = router.match(url.pathname.replace(/^\/[^/]+/, '')) as string;
      router.handle(req, res, context(url, subpath)).catch((err: Error) => {
        res.writeHead(599);
        res.end(err.message);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Path after the router name, e.g. ('open', '/__p2p/stats'). */
  const call = (router: string, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${base}/${router}${path}`, { ...init, headers: { 'x-router': router, ...init.headers as Record<string, string> } });

  test('exact paths match exactly; a path ending in / matches only what is below it', async () => {
    assert.equal(await (await call('open', '/__p2p/seed/abc')).text(), 'seed-below:seed/abc');
    assert.equal(await (await call('open', '/__p2p/seed/special')).text(), 'seed-special:seed/special', 'an exact route wins');
    for (const path of ['/__p2p/seed/', '/__p2p/seed', '/__p2p/stat', '/__p2p/stats/x', '/__p2p', '/__p2p/nothing']) {
      const res = await call('open', path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get(ERROR_CODE_HEADER), 'PC_ERR_NOT_FOUND', path);
      assert.equal(((await res.json()) as { error: string }).error, 'PC_ERR_NOT_FOUND');
    }
  });

  test('methods: GET and HEAD by default; others get 405 with Allow', async () => {
    assert.equal((await call('open', '/__p2p/seed/a', { method: 'HEAD' })).status, 200);
    const post = await call('open', '/__p2p/seed/a', { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(post.headers.get(ERROR_CODE_HEADER), 'PC_ERR_METHOD_NOT_ALLOWED');
    const get = await call('open', '/__p2p/report');
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await call('open', '/__p2p/report', { method: 'POST', body: '{}' })).status, 200);
  });

  test('admin routes are open when no token is configured', async () => {
    assert.equal(await (await call('open', '/__p2p/stats')).text(), 'stats:stats');
  });

  test('admin routes with a token: 401 with a Bearer challenge unless the token is presented', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }] as Record<string, string>[]) {
      const res = await call('guarded', '/__p2p/stats', { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="peerconnect"');
      assert.equal(res.headers.get(ERROR_CODE_HEADER), 'PC_ERR_UNAUTHORIZED');
    }
    assert.equal((await call('guarded', '/__p2p/stats', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await call('guarded', `/__p2p/stats?token=${TOKEN}`)).status, 200);
  });

  test('non-admin routes never ask for the token', async () => {
    assert.equal((await call('guarded', '/__p2p/public')).status, 200);
  });

  test('a wrong method is answered 405 before the token is checked', async () => {
    assert.equal((await call('guarded', '/__p2p/admin-post')).status, 405);
  });

  test('a handler failure reaches the caller of handle()', async () => {
    const res = await call('open', '/__p2p/thrower');
    assert.equal(res.status, 599);
    assert.equal(await res.text(), 'handler failed');
  });
});
