import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { freePort } from '../../helpers/nginx.js';
import { within } from '../../helpers/wait.js';
import { TestCa } from '../test-ca.js';
import { alive, CliProcess, getFresh } from './cli-process.js';

/**
 * WORKERS=2 with TLS files: both workers serve HTTPS on the shared PORT and the
 * 301 on the shared HTTP_PORT, and the embedded seeder (worker 1, no
 * SEEDER_TOKEN: a secret only its own worker knows) joins over worker 1's own
 * loopback listener, never refused by the other worker.
 */
const EXIT_MS = 30_000;
const TRIES = 20;

let ca: TestCa;
let redis: RunningRedis;
let proxy: CliProcess;
let httpsUrl: URL;
let httpUrl: URL;

before(async () => {
  ca = new TestCa();
  const leaf = ca.issue();
  redis = await startRedis();
  const [port, httpPort] = [await freePort(), await freePort()];
  httpsUrl = new URL(`https://127.0.0.1:${port}/`);
  httpUrl = new URL(`http://127.0.0.1:${httpPort}/`);
  proxy = new CliProcess({
    WORKERS: '2', REDIS_URL: redis.url, PORT: String(port), HTTP_PORT: String(httpPort),
    TLS_CERT_FILE: leaf.certFile, TLS_KEY_FILE: leaf.keyFile, STUN_PORT: 'off',
  });
  await proxy.running();
});

after(async () => {
  await proxy?.kill();
  await redis?.dispose();
  ca?.remove();
});

test('workers with TLS: HTTPS and the HTTP_PORT redirect answer from both workers; the seeder joins its own worker', async () => {
  const instances = new Set<string>();
  for (let i = 0; i < TRIES && instances.size < 2; i++) {
    const res = await getFresh(new URL('/__p2p/readyz', httpsUrl), ca.cert);
    assert.equal(res.status, 200);
    instances.add((JSON.parse(res.body.toString()) as { instance: string }).instance);
  }
  assert.equal(instances.size, 2, 'two workers behind the one HTTPS port');
  // Both workers listen on HTTP_PORT too: whichever takes the connection answers the 301.
  for (let i = 0; i < 4; i++) {
    const res = await getFresh(new URL('/gallery?x=1', httpUrl));
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, `https://127.0.0.1:${httpsUrl.port}/gallery?x=1`);
  }
  // The demo page through HTTPS carries the client.
  const page = await getFresh(new URL('/', httpsUrl), ca.cert);
  assert.equal(page.status, 200);
  assert.match(page.body.toString(), /__p2p\/client/);
  assert.match(proxy.log, /"worker":1[^\n]*"msg":"seeder joined signaling"/);
  assert.doesNotMatch(proxy.log, /signaling refused the seeder/);
  assert.doesNotMatch(proxy.log, /"worker":2[^\n]*"msg":"seeder joined signaling"/);

  const pids = proxy.workerPids();
  proxy.child.kill('SIGTERM');
  const { code } = await within(proxy.exited(), 'the primary exits', EXIT_MS);
  assert.equal(code, 0, proxy.log.slice(-3000));
  for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} is gone`);
});
