import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { startProxy } from '../helpers/proxy.js';
import { firstWelcome } from '../helpers/signal-welcome.js';
import { ATTR, STUN_METHOD_BINDING, decodeStunMessage, encodeStunMessage } from '../../proxy/stun/stun-message.js';

const SECRET = 'welcome-test-turn-secret-0123';
const STATIC_PASSWORD = 'static-turn-password-4567';
const WAIT_MS = 5_000;

/** Opens `<prefix>/signal` and returns the raw first frame (the welcome) and its parsed form. */


test('welcome carries TURN credentials minted for this peer; a reconnect gets fresh ones; the secret is nowhere', async () => {
  const app = await startProxy({
    TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp', TURN_SECRET: SECRET, TURN_TTL_S: '600',
    P2P_ICE_SERVERS: `[{"urls":"stun:stun.example.com"},{"urls":"turn:static.example.com","username":"static","credential":"${STATIC_PASSWORD}"}]`,
  });
  try {
    const before = Math.floor(Date.now() / 1000);
    const first = await firstWelcome(app.url);
    const after = Math.floor(Date.now() / 1000);
    const servers = first.message.iceServers;
    assert.deepEqual(servers.slice(0, 2), [
      { urls: 'stun:stun.example.com' },
      { urls: 'turn:static.example.com', username: 'static', credential: STATIC_PASSWORD },
    ], 'configured servers pass unchanged');
    assert.equal(servers.length, 3, 'no built-in STUN when servers are configured');
    const minted = servers[2];
    assert.deepEqual(minted?.urls, ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
    const match = /^(\d+):(.+)$/.exec(minted?.username ?? '');
    assert.ok(match, `username format: ${minted?.username}`);
    assert.equal(match[2], first.message.id, 'the username names the peer id');
    const expiry = Number(match[1]);
    assert.ok(expiry >= before + 600 && expiry <= after + 600, `expiry ${expiry} is now + TURN_TTL_S`);
    assert.equal(minted?.credential, createHmac('sha1', SECRET).update(minted?.username ?? '').digest('base64'));
    assert.ok(!first.raw.includes(SECRET), 'the secret is not in the welcome');

    const second = await firstWelcome(app.url);
    assert.notEqual(second.message.id, first.message.id);
    assert.notEqual(second.message.iceServers[2]?.username, minted?.username, 'a reconnect gets a fresh credential');

    const page = await (await fetch(new URL('/', app.url), { signal: AbortSignal.timeout(WAIT_MS) })).text();
    assert.match(page, /__p2p-config/);
    assert.ok(!page.includes(SECRET), 'the secret is not in the page');
    assert.ok(!page.includes(STATIC_PASSWORD), 'static TURN credentials stay out of the cached page');
    const config = JSON.parse(/<script[^>]*id="__p2p-config"[^>]*>([^<]*)<\/script>/.exec(page)?.[1] ?? '{}') as { iceServers?: unknown };
    assert.deepEqual(config.iceServers, ['stun:stun.example.com'], 'the page keeps the credential-free servers only');
  } finally {
    await app.close();
  }
});

test('no ICE servers configured: welcome advertises the built-in STUN responder under the host the visitor used', async () => {
  const app = await startProxy({ STUN_PORT: '0' });
  try {
    const direct = await firstWelcome(app.url);
    assert.equal(direct.message.iceServers.length, 1);
    const url = direct.message.iceServers[0]?.urls as string;
    const port = Number(/^stun:127\.0\.0\.1:(\d+)$/.exec(url)?.[1]);
    assert.ok(port > 0, url);
    const named = await firstWelcome(app.url, { host: `localhost:${app.url.port}` });
    assert.deepEqual(named.message.iceServers, [{ urls: `stun:localhost:${port}` }]);

    // The advertised port answers Binding requests.
    const socket = createSocket('udp4');
    try {
      const transactionId = randomBytes(12);
      const answer = new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no STUN answer')), WAIT_MS);
        socket.once('message', (packet) => {
          clearTimeout(timer);
          resolve(packet);
        });
      });
      socket.send(encodeStunMessage({ method: STUN_METHOD_BINDING, class: 'request', transactionId }), port, '127.0.0.1');
      const message = decodeStunMessage(await answer);
      assert.equal(message.class, 'success');
      assert.ok(message.attributes.some((a) => a.type === ATTR.XOR_MAPPED_ADDRESS));
    } finally {
      socket.close();
    }
  } finally {
    await app.close();
  }
});

test('PUBLIC_URL names the STUN host; STUN_PORT=off advertises nothing', async () => {
  const app = await startProxy({ STUN_PORT: '0', PUBLIC_URL: 'https://www.example.com' });
  try {
    const { message } = await firstWelcome(app.url);
    assert.match(String(message.iceServers[0]?.urls), /^stun:www\.example\.com:\d+$/);
  } finally {
    await app.close();
  }
  const off = await startProxy({ STUN_PORT: 'off' });
  try {
    assert.deepEqual((await firstWelcome(off.url)).message.iceServers, []);
  } finally {
    await off.close();
  }
});
