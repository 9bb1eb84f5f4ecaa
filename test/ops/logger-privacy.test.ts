import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, loggerOptionsFor, maskAddress, maskAddressesIn } from '../../core/logger.js';
import { loadConfig } from '../../core/config/load-config.js';
import { startApp } from '../../proxy/app.js';

const TOKEN = 'privacy-test-admin-token-0123456789';
const TIMEOUT_MS = 5_000;

function memoryLog(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text, lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('maskAddress keeps the /24 or /48 network only', () => {
  assert.equal(maskAddress('203.0.113.77', true), '203.0.113.0');
  assert.equal(maskAddress('::ffff:203.0.113.77', true), '203.0.113.0');
  assert.equal(maskAddress('2001:db8:abcd:12::1', true), '2001:db8:abcd::');
  assert.equal(maskAddress('2001:db8::1', true), '2001:db8:0::');
  assert.equal(maskAddress('203.0.113.77', false), '203.0.113.77');
  assert.equal(maskAddressesIn('peer 198.51.100.23 and [2001:db8:1:2:3:4:5:6]:443 at 12:30:45'), 'peer 198.51.100.0 and [2001:db8:1::]:443 at 12:30:45');
});

test('the scrubber fast paths keep redacting: numbers and booleans under secret keys, query secrets, userinfo', () => {
  const log = memoryLog();
  const logger = createLogger('info', { destination: log.stream });
  for (let i = 0; i < 3; i++) {
    // Repeated so the cached key decision is exercised as well as the first one.
    logger.info({ password: 123456, token: true, status: 200, aborted: false, url: '/a?access_token=abc&b=1', origin: 'http://u:pw@origin.test/' }, 'request');
  }
  for (const line of log.lines()) {
    assert.equal(line.password, '[redacted]');
    assert.equal(line.token, '[redacted]');
    assert.equal(line.status, 200);
    assert.equal(line.aborted, false);
    assert.equal(line.url, '/a?access_token=[redacted]&b=1');
    assert.equal(line.origin, 'http://[redacted]@origin.test/');
  }
  assert.equal(log.lines().length, 3);
});

test('secrets and credential parameters are redacted in every mode; strict also masks addresses', () => {
  for (const privacy of ['normal', 'strict'] as const) {
    const log = memoryLog();
    const logger = createLogger('info', { privacy, secrets: [TOKEN, 'hunter22'], destination: log.stream });
    logger.info({ url: `/__p2p/dashboard?token=${TOKEN}&x=1`, headers: { authorization: `Bearer ${TOKEN}` }, peer: '198.51.100.23' }, 'request');
    logger.warn({ err: new Error(`redis://user:hunter22@10.1.2.3:6379 refused for 198.51.100.23`) }, 'connect failed');
    logger.info(`token ${TOKEN} from 2001:db8:1:2:3:4:5:6`);
    const text = log.text();
    assert.ok(!text.includes(TOKEN), `${privacy}: token leaked: ${text}`);
    assert.ok(!text.includes('hunter22'), `${privacy}: password leaked`);
    const [first, second] = log.lines();
    assert.equal(first?.url, '/__p2p/dashboard?token=[redacted]&x=1');
    assert.deepEqual(first?.headers, { authorization: '[redacted]' });
    if (privacy === 'strict') {
      assert.ok(!/198\.51\.100\.23|10\.1\.2\.3|2001:db8:1:2:3/.test(text), `strict: address leaked: ${text}`);
      assert.equal(first?.peer, '198.51.100.0');
      assert.match(String((second?.err as { message: string }).message), /10\.1\.2\.0:6379 refused for 198\.51\.100\.0/);
    } else {
      assert.equal(first?.peer, '198.51.100.23');
    }
  }
});

test('P2P_PRIVACY=strict: the access log of a real request carries no full IP and no token', async () => {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SEEDER_MODE: 'off', LOG_LEVEL: 'info', P2P_PRIVACY: 'strict', ADMIN_TOKEN: TOKEN });
  const log = memoryLog();
  const app = await startApp(config, createLogger('info', { ...loggerOptionsFor(config), destination: log.stream }));
  try {
    const base = app.url.href.replace(/\/$/, '');
    const res = await fetch(`${base}/__p2p/dashboard?token=${TOKEN}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const bearer = await fetch(`${base}/__p2p/stats`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await bearer.arrayBuffer();
  } finally {
    await app.close();
  }
  const text = log.text();
  const access = log.lines().filter((line) => line.msg === 'request');
  assert.ok(access.length >= 2, `access lines: ${text}`);
  assert.ok(!text.includes(TOKEN), 'token in logs');
  assert.ok(!text.includes('127.0.0.1'), `full loopback address in logs: ${text}`);
  assert.ok(access.every((line) => line.ip === '127.0.0.0'));
});
