import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, get, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { startProxy } from '../helpers/proxy.js';
import type { RunningApp } from '../../proxy/app.js';
import { AcmeManager, RENEW_AT_LIFETIME_FRACTION } from '../../proxy/tls/acme-manager.js';
import type { AcmeChallengeHandler } from '../../core/feature.js';
import { createLogger } from '../../core/logger.js';
import { Pebble, freePort } from './acme-pebble.js';

/** Opens a TLS connection to the proxy as `localhost`; `ca` undefined: accept anything (to look at the placeholder). */
function tlsConnect(port: number, ca?: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'], ...(ca ? { ca } : { rejectUnauthorized: false }) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function servedSerial(socket: TLSSocket): string {
  return new X509Certificate(socket.getPeerX509Certificate()?.raw ?? Buffer.alloc(0)).serialNumber;
}

function httpsGet(port: number, path: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpsRequest({ host: '127.0.0.1', port, path, servername: 'localhost', headers: { host: `localhost:${port}` }, ...(ca ? { ca } : { rejectUnauthorized: false }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

function httpGet(port: number, path: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { host: `localhost:${port}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    }).on('error', reject);
  });
}

function acmeOf(app: RunningApp): AcmeManager {
  assert.ok(app.acme, 'ACME_DOMAINS set: the app runs an ACME manager');
  return app.acme;
}

const stateRoot = mkdtempSync(join(tmpdir(), 'pc-acme-it-'));
after(() => rmSync(stateRoot, { recursive: true, force: true }));

test('ACME with pebble: issued for localhost over a real HTTP-01 fetch, served over HTTPS, renewed by a hot swap, state reused after a restart', async (t) => {
  const httpPort = await freePort();
  const pebble = new Pebble({ httpPort });
  await pebble.start();
  t.after(() => pebble.close());
  const stateDir = join(stateRoot, 'ok');
  const env = {
    ACME_DOMAINS: 'localhost', ACME_EMAIL: 'ops@example.com', ACME_DIRECTORY_URL: pebble.directoryUrl,
    ACME_CA_FILE: pebble.listenerCaFile, ACME_STATE_DIR: stateDir, HTTP_PORT: String(httpPort),
  };

  let app = await startProxy(env);
  t.after(() => app.close());
  let acme = acmeOf(app);
  const started = Date.now();
  await acme.settled();
  t.diagnostic(`issuance took ${Date.now() - started} ms after listen`);
  assert.equal(acme.lastError, undefined);
  const issued = acme.certificate;
  assert.ok(issued, 'a CA certificate is served');
  assert.equal(acme.orders, 1);
  assert.equal(pebble.orders, 1);
  assert.ok(pebble.log.includes(`Attempting to validate w/ HTTP: http://localhost:${httpPort}/.well-known/acme-challenge/`), 'pebble fetched the token from HTTP_PORT');

  // The served chain verifies against the root of this pebble run.
  const root = await pebble.root();
  const port = app.url.port === '' ? 443 : Number(app.url.port);
  const first = await tlsConnect(port, root);
  assert.equal(first.authorized, true);
  assert.equal(servedSerial(first), issued.serial);
  const page = await httpsGet(port, '/', root);
  assert.equal(page.status, 200);
  assert.equal((await httpGet(httpPort, '/gallery?x=1')).location, `https://localhost:${port}/gallery?x=1`);

  // State: 0700 directory, 0600 files.
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  for (const name of readdirSync(stateDir)) assert.equal(statSync(join(stateDir, name)).mode & 0o777, 0o600, name);

  // Forced renewal: a new order, swapped in for new connections; the open one keeps its certificate.
  const renewed = await acme.renewNow();
  assert.notEqual(renewed.serial, issued.serial);
  assert.equal(acme.orders, 2);
  assert.equal(pebble.orders, 2);
  const second = await tlsConnect(port, root);
  assert.equal(second.authorized, true);
  assert.equal(servedSerial(second), renewed.serial);
  assert.equal(first.destroyed, false, 'the connection opened before the swap stays up');
  first.destroy();
  second.destroy();

  // Restart on the same state dir: the stored certificate is served at once, no new order.
  await app.close();
  app = await startProxy(env);
  acme = acmeOf(app);
  await acme.settled();
  assert.equal(acme.orders, 0);
  assert.equal(pebble.orders, 2);
  assert.equal(acme.certificate?.serial, renewed.serial);
  const restartedPort = Number(app.url.port);
  const third = await tlsConnect(restartedPort, root);
  assert.equal(servedSerial(third), renewed.serial);
  third.destroy();
  assert.equal((await httpsGet(restartedPort, '/__p2p/readyz', root)).status, 200);
});

test('ACME with pebble: a wrong challenge answer fails the order with the CA\'s reason; the proxy keeps serving', async (t) => {
  // The CA's HTTP-01 fetches go to a server that answers every token wrongly, as when
  // port 80 of the name reaches some other machine.
  const wrongPort = await freePort();
  const wrong: Server = createServer((_req, res) => res.end('not-the-key-authorization'));
  await new Promise<void>((resolve) => wrong.listen(wrongPort, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => wrong.close(resolve)));
  const pebble = new Pebble({ httpPort: wrongPort });
  await pebble.start();
  t.after(() => pebble.close());
  const httpPort = await freePort();

  const app = await startProxy({
    ACME_DOMAINS: 'localhost', ACME_DIRECTORY_URL: pebble.directoryUrl, ACME_CA_FILE: pebble.listenerCaFile,
    ACME_STATE_DIR: join(stateRoot, 'wrong'), HTTP_PORT: String(httpPort),
  });
  t.after(() => app.close());
  const acme = acmeOf(app);
  await acme.settled();
  assert.equal(acme.orders, 1);
  assert.equal(acme.certificate, undefined);
  assert.ok(acme.lastError, 'the order failed');
  assert.equal(acme.lastError.code, 'PC_ERR_ACME_ORDER');
  t.diagnostic(acme.lastError.message);
  assert.match(acme.lastError.message, /^ACME order for localhost at https:\/\/127\.0\.0\.1:\d+\/dir failed: .*key authorization/i);
  assert.ok(pebble.log.includes(`Attempting to validate w/ HTTP: http://localhost:${wrongPort}/`), 'pebble really fetched the token');

  // Still serving: HTTPS with the placeholder (not ready), HTTP_PORT's redirect.
  const port = Number(app.url.port);
  const socket = await tlsConnect(port);
  assert.match(socket.getPeerX509Certificate()?.subject ?? '', /PeerConnect placeholder for localhost/);
  socket.destroy();
  assert.equal((await httpsGet(port, '/')).status, 200);
  const readyz = await httpsGet(port, '/__p2p/readyz');
  assert.equal(readyz.status, 503);
  assert.deepEqual(JSON.parse(readyz.body).waitingFor, ['acme']);
  assert.equal((await httpGet(httpPort, '/')).status, 301);
});

test('ACME with pebble: a stored certificate past two thirds of its lifetime is renewed at start; one before is kept', async (t) => {
  const httpPort = await freePort();
  const pebble = new Pebble({ httpPort });
  await pebble.start();
  t.after(() => pebble.close());
  // The manager alone, with a bare HTTP-01 responder standing in for the proxy's HTTP_PORT.
  let challenge: AcmeChallengeHandler | undefined;
  const responder = createServer((req, res) => {
    const answer = challenge?.((req.url ?? '').split('/').pop() ?? '');
    res.writeHead(answer === undefined ? 404 : 200).end(answer);
  });
  await new Promise<void>((resolve) => responder.listen(httpPort, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => responder.close(resolve)));
  const served: string[] = [];
  const target = {
    setCertificate: (cert: Buffer | string) => void served.push(new X509Certificate(cert).serialNumber),
    setAcmeChallengeHandler: (handler: AcmeChallengeHandler | undefined) => void (challenge = handler),
  };
  const manager = (now: () => number) => new AcmeManager({
    domains: ['localhost'], directoryUrl: pebble.directoryUrl, caFile: pebble.listenerCaFile,
    stateDir: join(stateRoot, 'due'), logger: createLogger('silent'), now,
  });

  const first = manager(Date.now);
  first.begin(target);
  await first.settled();
  const issued = first.certificate;
  assert.ok(issued);
  await first.close();

  const lifetime = issued.notAfter.getTime() - issued.notBefore.getTime();
  const justBefore = manager(() => issued.notBefore.getTime() + lifetime * RENEW_AT_LIFETIME_FRACTION - 60_000);
  justBefore.begin(target);
  await justBefore.settled();
  assert.equal(justBefore.orders, 0);
  assert.equal(justBefore.certificate?.serial, issued.serial);
  await justBefore.close();

  const due = manager(() => issued.notBefore.getTime() + lifetime * RENEW_AT_LIFETIME_FRACTION + 60_000);
  assert.equal(due.initialCertificate().cert.toString(), issued.cert.toString(), 'the due certificate is served until the new one arrives');
  due.begin(target);
  await due.settled();
  assert.equal(due.orders, 1);
  assert.equal(due.lastError?.message, undefined);
  assert.notEqual(due.certificate?.serial, issued.serial);
  assert.deepEqual(served, [issued.serial, due.certificate?.serial]);
  await due.close();
  assert.equal(pebble.orders, 2);
});
