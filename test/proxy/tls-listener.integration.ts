import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { TestCa, type TestLeaf } from './test-ca.js';
import { startProxy } from '../helpers/proxy.js';
import { within } from '../helpers/wait.js';
import { ConfigError } from '../../core/errors.js';
import type { RunningApp } from '../../proxy/app.js';

const WAIT_MS = 10_000;

/** The serial of the certificate a fresh TLS connection is served. */
function servedSerial(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['h2'] }, () => {
      const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
      socket.end();
      resolve(serial);
    });
    socket.once('error', reject);
  });
}

function h2Get(session: ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let body = '';
    let status = 0;
    stream.setEncoding('utf8');
    stream.on('response', (headers) => { status = Number(headers[':status']); });
    stream.on('data', (chunk: string) => { body += chunk; });
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    stream.end();
  });
}

function plainGet(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).once('error', reject).end();
  });
}

describe('TLS on PORT from TLS_CERT_FILE/TLS_KEY_FILE', () => {
  let ca: TestCa;
  let first: TestLeaf;
  let app: RunningApp;
  let certFile: string;
  let keyFile: string;

  before(async () => {
    ca = new TestCa();
    first = ca.issue();
    // Files the test may overwrite, like a renewal tool does.
    certFile = join(ca.dir, 'live-cert.pem');
    keyFile = join(ca.dir, 'live-key.pem');
    copyFileSync(first.certFile, certFile);
    copyFileSync(first.keyFile, keyFile);
    app = await startProxy({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, HTTP_PORT: '0' });
  });

  after(async () => {
    await app?.close();
    ca?.remove();
  });

  test('https: the demo page over HTTP/2 (ALPN h2) and over HTTP/1.1', async () => {
    assert.equal(app.url.protocol, 'https:');
    const session = http2Connect(app.url.origin, { ca: ca.cert, servername: 'localhost' });
    try {
      const page = await h2Get(session, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /__p2p\/client/);
      assert.equal(session.alpnProtocol, 'h2');
    } finally {
      session.close();
    }
    const http1 = await new Promise<{ status: number; version: string; body: string }>((resolve, reject) => {
      httpsRequest(`${app.url.origin}/`, { ca: ca.cert, servername: 'localhost' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion, body }));
      }).once('error', reject).end();
    });
    assert.equal(http1.status, 200);
    assert.equal(http1.version, '1.1');
    assert.match(http1.body, /__p2p\/client/);
  });

  test('https: the signaling WebSocket upgrades over HTTP/1.1 with TLS', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${app.url.port}/__p2p/signal`, { ca: ca.cert, servername: 'localhost' } as WebSocket.ClientOptions);
    try {
      await within(new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }), 'wss signaling open', WAIT_MS);
    } finally {
      ws.terminate();
    }
  });

  test('setCertificate: a new connection gets the new certificate, an open HTTP/2 connection stays up', async () => {
    const port = Number(app.url.port);
    const session = http2Connect(app.url.origin, { ca: ca.cert, servername: 'localhost' });
    try {
      assert.equal((await h2Get(session, '/')).status, 200);
      const before = (session.socket as unknown as { getPeerX509Certificate(): { serialNumber: string } }).getPeerX509Certificate().serialNumber;
      const second = ca.issue();
      app.server.setCertificate(second.cert, second.key);
      assert.equal(await servedSerial(port, ca.cert), second.serial);
      assert.notEqual(second.serial, before);
      // The old session still serves requests, with the certificate it shook hands with.
      assert.equal((await h2Get(session, '/')).status, 200);
      assert.equal(session.closed, false);
    } finally {
      session.close();
    }
  });

  test('setCertificate: a key that does not fit the certificate is refused and the current one stays', async () => {
    const port = Number(app.url.port);
    const current = await servedSerial(port, ca.cert);
    const a = ca.issue();
    const b = ca.issue();
    assert.throws(() => app.server.setCertificate(a.cert, b.key), /do not fit together/);
    assert.equal(await servedSerial(port, ca.cert), current);
  });

  test('certificate files: rewritten files are served to new connections without a restart', async () => {
    const port = Number(app.url.port);
    const renewed = ca.issue();
    writeFileSync(keyFile, renewed.key);
    writeFileSync(certFile, renewed.cert);
    await within((async () => {
      while ((await servedSerial(port, ca.cert)) !== renewed.serial) await new Promise((r) => setTimeout(r, 50));
    })(), 'renewed certificate served', WAIT_MS);
    // SIGHUP path: an explicit reload of the same files succeeds.
    assert.equal(app.server.reloadCertificates(), true);
  });

  test('HTTP_PORT: 301 to the same path over HTTPS', async () => {
    const redirect = app.server.httpRedirect;
    assert.ok(redirect);
    const res = await plainGet(`${redirect.address().origin}/gallery/a.html?x=1`);
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, `https://127.0.0.1:${app.url.port}/gallery/a.html?x=1`);
  });

  test('HTTP_PORT: /.well-known/acme-challenge/<token> is answered by the registered handler', async () => {
    const redirect = app.server.httpRedirect!;
    const url = `${redirect.address().origin}/.well-known/acme-challenge/`;
    assert.equal((await plainGet(`${url}tok_1`)).status, 404, 'no handler: 404');
    app.server.setAcmeChallengeHandler((token) => (token === 'tok_1' ? 'tok_1.thumbprint' : undefined));
    const hit = await plainGet(`${url}tok_1`);
    assert.equal(hit.status, 200);
    assert.equal(hit.body, 'tok_1.thumbprint');
    assert.equal((await plainGet(`${url}other`)).status, 404);
    assert.equal((await plainGet(`${url}..%2Fetc`)).status, 404);
    app.server.setAcmeChallengeHandler(undefined);
  });
});

describe('TLS configuration errors stop the start', () => {
  let ca: TestCa;
  before(() => { ca = new TestCa(); });
  after(() => ca.remove());

  test('TLS_CERT_FILE without TLS_KEY_FILE names the missing key', async () => {
    const leaf = ca.issue();
    await assert.rejects(startProxy({ TLS_CERT_FILE: leaf.certFile, HTTP_PORT: 'off' }), (err: unknown) =>
      err instanceof ConfigError && /TLS_CERT_FILE is set: expected TLS_KEY_FILE/.test(err.message));
  });

  test('an unreadable file names its key', async () => {
    const leaf = ca.issue();
    await assert.rejects(startProxy({ TLS_CERT_FILE: leaf.certFile, TLS_KEY_FILE: join(ca.dir, 'missing.key'), HTTP_PORT: 'off' }), (err: unknown) =>
      err instanceof ConfigError && /TLS_KEY_FILE=".*missing\.key": cannot read file/.test(err.message));
  });

  test('a key that does not match the certificate', async () => {
    const a = ca.issue();
    const b = ca.issue();
    await assert.rejects(startProxy({ TLS_CERT_FILE: a.certFile, TLS_KEY_FILE: b.keyFile, HTTP_PORT: 'off' }), (err: unknown) =>
      err instanceof ConfigError && /do not fit together/.test(err.message));
  });

  test('HTTP_PORT that is not a port', async () => {
    await assert.rejects(startProxy({ HTTP_PORT: 'eighty' }), (err: unknown) =>
      err instanceof ConfigError && /HTTP_PORT="eighty": expected a port number 0-65535, or off/.test(err.message));
  });
});
