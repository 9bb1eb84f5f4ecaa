import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy } from '../helpers/proxy.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

const TOKEN = 'admin-routes-test-token-abcdef012345';
const TIMEOUT_MS = 5_000;
const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });

test('admin routes answer 401 without the token, 200 with it', async () => {
  const app = await startProxy({ ADMIN_TOKEN: TOKEN });
  try {
    const base = app.url.href.replace(/\/$/, '');
    for (const route of ['metrics', 'stats', 'dashboard']) {
      const none = await get(`${base}/__p2p/${route}`);
      assert.equal(none.status, 401, route);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      await none.arrayBuffer();
      const wrong = await get(`${base}/__p2p/${route}`, { authorization: 'Bearer not-the-token-at-all-000' });
      assert.equal(wrong.status, 401, route);
      await wrong.arrayBuffer();
      const ok = await get(`${base}/__p2p/${route}`, { authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.status, 200, route);
      await ok.arrayBuffer();
    }
    const page = await get(`${base}/__p2p/dashboard?token=${TOKEN}`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);
    assert.match(await page.text(), /PeerConnect · live offload/);
    // The beacon endpoint is public: browsers do not hold the token.
    const beacon = await fetch(`${base}/__p2p/report`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"v":1,"page":"/","assets":[]}', signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.equal(beacon.status, 204);
  } finally {
    await app.close();
  }
});

test('metrics parse as Prometheus text and counters move after visits', async () => {
  const app = await startProxy({ ADMIN_TOKEN: TOKEN });
  try {
    const base = app.url.href.replace(/\/$/, '');
    const scrape = async () => {
      const res = await get(`${base}/__p2p/metrics`, { authorization: `Bearer ${TOKEN}` });
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return parsePrometheusText(await res.text());
    };
    const before = await scrape();
    for (const name of [
      'peerconnect_http_requests_total', 'peerconnect_http_request_duration_seconds', 'peerconnect_bytes_to_clients_total',
      'peerconnect_media_bytes_total', 'peerconnect_fallbacks_total', 'peerconnect_offload_ratio', 'peerconnect_peers',
      'peerconnect_swarms', 'peerconnect_signaling_messages_total', 'peerconnect_seeder_upload_bytes_total',
      'peerconnect_cache_bytes', 'peerconnect_cache_lookups_total', 'peerconnect_html_rewrites_total',
      'peerconnect_nodejs_eventloop_lag_seconds', 'peerconnect_reports_total', 'peerconnect_time_to_image_seconds',
    ]) {
      assert.ok(before.has(name), `missing metric family ${name}`);
    }
    // Visit the demo site through the proxy: the HTML page and one of its images.
    const html = await get(`${base}/`);
    assert.equal(html.status, 200);
    const body = await html.text();
    const image = /<img[^>]+src="([^"]+)"/.exec(body)?.[1];
    if (image) await (await get(new URL(image, `${base}/`).href)).arrayBuffer();
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    assert.ok(delta('peerconnect_http_requests_total', { route: 'proxy', status: '2xx' }) >= 1);
    // The wire may carry it compressed, so only require that the page was counted as html.
    assert.ok(delta('peerconnect_bytes_to_clients_total', { kind: 'html' }) > 0);
    if (image) assert.ok(delta('peerconnect_bytes_to_clients_total', { kind: 'media' }) > 0);
    assert.ok(delta('peerconnect_bytes_to_clients_total', { kind: 'p2p' }) > 0, 'the first scrape itself is p2p traffic');
    assert.ok(delta('peerconnect_http_request_duration_seconds_count', { route: 'proxy' }) >= 1);
  } finally {
    await app.close();
  }
});

test('with ADMIN_PORT, admin routes leave the public port for the admin listener', async () => {
  const app = await startProxy({ ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0' });
  try {
    const base = app.url.href.replace(/\/$/, '');
    const admin = app.stats.adminUrl;
    assert.ok(admin, 'admin listener runs');
    assert.notEqual(admin.port, app.url.port);
    const publicMetrics = await get(`${base}/__p2p/metrics`, { authorization: `Bearer ${TOKEN}` });
    assert.equal(publicMetrics.status, 404);
    await publicMetrics.arrayBuffer();
    const adminBase = admin.href.replace(/\/$/, '');
    const guarded = await get(`${adminBase}/__p2p/metrics`);
    assert.equal(guarded.status, 401);
    await guarded.arrayBuffer();
    const metrics = await get(`${adminBase}/__p2p/metrics`, { authorization: `Bearer ${TOKEN}` });
    assert.equal(metrics.status, 200);
    parsePrometheusText(await metrics.text());
    const health = await get(`${adminBase}/__p2p/healthz`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();
    const proxied = await get(`${adminBase}/`);
    assert.equal(proxied.status, 404, 'the admin port does not proxy the site');
    await proxied.arrayBuffer();
    // The beacon stays on the public port.
    const beacon = await fetch(`${base}/__p2p/report`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"v":1,"page":"/","assets":[]}', signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.equal(beacon.status, 204);
  } finally {
    await app.close();
  }
  assert.equal(app.stats.adminUrl && (await fetch(app.stats.adminUrl, { signal: AbortSignal.timeout(1_000) }).then(() => 'up', () => 'down')), 'down');
});
