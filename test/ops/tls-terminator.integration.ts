import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { TestCa } from '../proxy/test-ca.js';
import { startNginx, freePort, type RunningNginx } from '../helpers/nginx.js';
import { startProxy } from '../helpers/proxy.js';
import { within } from '../helpers/wait.js';
import { SIGNAL_PROTOCOL_VERSION } from '../../protocol/signal-messages.js';
import type { RunningApp } from '../../proxy/app.js';

const WAIT_MS = 10_000;
const ADMIN_TOKEN = 'terminator-admin-token-0123456789';

/**
 * A site that, like many, forces HTTPS by X-Forwarded-Proto: plain-HTTP
 * requests get a 301 to https. Behind a terminator that PeerConnect does not
 * believe, every request would loop on that redirect.
 */
class ForcingHttpsOrigin {
  readonly seen: IncomingHttpHeaders[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.seen.push(req.headers);
    if (req.headers['x-forwarded-proto'] !== 'https') {
      res.writeHead(301, { location: `https://${req.headers['x-forwarded-host'] ?? req.headers.host}${req.url}` });
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>secure page</title><p>hello</p>');
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** nginx terminating TLS on loopback in front of PeerConnect, the usual same-host setup. */
async function startTerminator(ca: TestCa, upstreamPort: number): Promise<RunningNginx & { port: number }> {
  const leaf = ca.issue(['localhost', '127.0.0.1']);
  const root = await mkdtemp(join(tmpdir(), 'pc-terminator-root-'));
  const port = await freePort();
  const nginx = await startNginx({
    root,
    port,
    serverBlock: `map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:{{port}} ssl http2;
    server_name localhost;
    ssl_certificate ${leaf.certFile};
    ssl_certificate_key ${leaf.keyFile};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Host $host:$server_port;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host:$server_port;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_buffering off;
    }
  }`,
  });
  const stopNginx = nginx.stop.bind(nginx);
  return Object.assign(nginx, {
    port,
    async stop() {
      await stopNginx();
      await rm(root, { recursive: true, force: true });
    },
  });
}

/** GET through nginx (https) from a chosen loopback source address. */
function visit(port: number, path: string, ca: Buffer, localAddress: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    httpsRequest({ host: '127.0.0.1', port, path, ca, servername: 'localhost', localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}) }));
    }).once('error', reject).end();
  });
}

/** Opens wss signaling through nginx from `localAddress`, asks for role seeder, returns the error code or close code. */
function trySeederRole(port: number, ca: Buffer, localAddress: string, token?: string): Promise<string> {
  return within(new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/__p2p/signal`, { ca, servername: 'localhost', localAddress } as WebSocket.ClientOptions);
    ws.once('open', () => ws.send(JSON.stringify({ v: SIGNAL_PROTOCOL_VERSION, type: 'hello', role: 'seeder', ...(token ? { token } : {}) })));
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; code?: string };
      if (message.type === 'error') resolve(`error:${message.code}`);
    });
    ws.once('close', (code) => resolve(`close:${code}`));
    ws.once('error', reject);
  }), 'seeder hello answer', WAIT_MS);
}

for (const adminToken of [undefined, ADMIN_TOKEN]) {
  const label = adminToken ? 'with ADMIN_TOKEN' : 'without ADMIN_TOKEN';
  describe(`nginx terminating TLS in front, TRUST_PROXY=127.0.0.1 (${label})`, () => {
    let ca: TestCa;
    let origin: ForcingHttpsOrigin;
    let app: RunningApp;
    let nginx: RunningNginx & { port: number };

    before(async () => {
      ca = new TestCa();
      origin = new ForcingHttpsOrigin();
      const originUrl = await origin.listen();
      app = await startProxy({ ORIGIN: originUrl, TRUST_PROXY: '127.0.0.1', SIGNAL_MAX_PEERS_PER_IP: '1', ...(adminToken ? { ADMIN_TOKEN: adminToken } : {}) });
      nginx = await startTerminator(ca, Number(app.url.port));
    });

    after(async () => {
      await nginx?.stop();
      await app?.close();
      await origin?.close();
      ca?.remove();
    });

    test(`${label}: the origin sees X-Forwarded-Proto https and the visitor's address; its HTTPS redirect does not loop`, async () => {
      origin.seen.length = 0;
      const res = await visit(nginx.port, '/page', ca.cert, '127.0.0.2');
      assert.equal(res.status, 200, `no redirect loop (got ${res.status} ${res.location ?? ''})`);
      const headers = origin.seen.at(-1)!;
      assert.equal(headers['x-forwarded-proto'], 'https');
      assert.equal(headers['x-forwarded-for'], '127.0.0.2, 127.0.0.1', 'nginx\'s chain passed on, the hop appended');
      assert.equal(headers['x-forwarded-host'], `127.0.0.1:${nginx.port}`, 'the host the visitor asked nginx for');
    });

    test(`${label}: a visitor bypassing nginx cannot claim https or another address`, async () => {
      origin.seen.length = 0;
      const status = await new Promise<number>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: app.url.port, path: '/page', localAddress: '127.0.0.3', agent: false,
          headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.1' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).once('error', reject).end();
      });
      assert.equal(status, 301, 'the origin was told http, as it was');
      const headers = origin.seen.at(-1)!;
      assert.equal(headers['x-forwarded-proto'], 'http');
      assert.equal(headers['x-forwarded-for'], '127.0.0.3');
    });

    test(`${label}: visitors behind the terminator count by their own address (per-address limit 1, two visitors)`, async () => {
      const open = (localAddress: string): Promise<WebSocket> => within(new Promise((resolve, reject) => {
        const ws = new WebSocket(`wss://127.0.0.1:${nginx.port}/__p2p/signal`, { ca: ca.cert, servername: 'localhost', localAddress } as WebSocket.ClientOptions);
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
        ws.once('error', reject);
      }), 'signaling through nginx', WAIT_MS);
      const a = await open('127.0.0.4');
      const b = await open('127.0.0.5');
      a.terminate();
      b.terminate();
    });

    test(`${label}: a visitor cannot take the seeder role without the secret`, async () => {
      assert.equal(await trySeederRole(nginx.port, ca.cert, '127.0.0.6'), 'error:unauthorized');
      assert.equal(await trySeederRole(nginx.port, ca.cert, '127.0.0.7', 'not-the-secret-not-the-secret'), 'error:unauthorized');
      assert.equal(app.signaling.stats().seeders, 0);
    });
  });
}
