import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as cheerio from 'cheerio';
import { CLIENT_CONFIG_ELEMENT_ID } from '../../protocol/client-config.js';
import type { RunningApp } from '../../proxy/app.js';
import { startProxy } from '../helpers/proxy.js';
import { loadConfig } from '../../core/config/load-config.js';
import { ConfigError } from '../../core/errors.js';

/** Attribute values (as the browser reads them) and config values an attacker might choose. */
const HOSTILE = [
  '/a.png?q=</script><script>alert(1)</script>',
  '/b.png?q=<!--<script>',
  '/c.png?q="onerror="alert(1)',
  "/d.png?q='><svg onload=alert(1)>",
  '/e.png?q=\u2028\u2029',
  '/f.png#</SCRIPT >-->',
];
const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

let origin: Server;
let app: RunningApp;

before(async () => {
  origin = createServer((_req, res) => {
    const imgs = HOSTILE.map((src) => `<img src="${escapeAttr(src)}" alt="x">`).join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>t</title></head><body>${imgs}</body></html>`);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const port = (origin.address() as AddressInfo).port;
  // A threshold of 0, so images are parked for peers (their URLs move to data- attributes).
  app = await startProxy({ ORIGIN: `http://127.0.0.1:${port}`, P2P_THRESHOLD: '0', P2P_ICE_SERVERS: 'stun:stun.test:3478' });
});

after(async () => {
  await app.close();
  await new Promise((resolve) => origin.close(resolve));
});

test('hostile page URLs stay inert: only the two injected scripts, a config that parses, attributes kept verbatim', async () => {
  const res = await fetch(new URL('/page?q=</script><!--"\'\u2028', app.url));
  assert.equal(res.status, 200);
  const html = await res.text();
  const $ = cheerio.load(html);
  const scripts = $('script');
  assert.equal(scripts.length, 2, 'no script element beyond the config block and the client');
  assert.equal(scripts.eq(0).attr('id'), CLIENT_CONFIG_ELEMENT_ID);
  const config = JSON.parse(scripts.eq(0).text()) as { iceServers: string[] };
  assert.deepEqual(config.iceServers, ['stun:stun.test:3478']);
  assert.ok(!/[\u2028\u2029<>]/.test(scripts.eq(0).text()), 'the config text has no raw <, > or U+2028/2029');
  assert.equal($('svg').length, 0);
  assert.equal($('[onerror], [onload]').length, 0, 'no event handler attribute appeared');
  const imgs = $('img');
  assert.equal(imgs.length, HOSTILE.length);
  imgs.each((i, el) => {
    const value = $(el).attr('src') ?? $(el).attr('data-p2p-src');
    assert.equal(value, HOSTILE[i], 'the URL is carried verbatim, as data');
  });
});

test('string options that reach the injected config refuse markup at start', () => {
  for (const [name, value] of [['P2P_ICE_SERVERS', 'stun:</script><!--x.test:3478'], ['P2P_PREFIX', '/</script>']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), ConfigError, name);
  }
});
