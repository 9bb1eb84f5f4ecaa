import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { RunningApp } from '../../proxy/app.js';
import { REPORT_MAX_BYTES, type ReportBody } from '../../protocol/report.js';
import { REPORT_UNKNOWN_ASSET_MAX_BYTES } from '../../proxy/stats/report-bounds.js';
import { startProxy } from '../helpers/proxy.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

const TOKEN = 'report-test-admin-token-0123456789';
const TIMEOUT_MS = 5_000;
const ID_A = 'AAAAAAAAAAAAAAAAAAAAAA';
const ID_B = 'BBBBBBBBBBBBBBBBBBBBBB';

let app: RunningApp;
let base: string;

before(async () => {
  app = await startProxy({ ADMIN_TOKEN: TOKEN });
  base = app.url.href.replace(/\/$/, '');
});
after(() => app.close());

function post(body: string, contentType = 'text/plain;charset=UTF-8', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/__p2p/report`, {
    method: 'POST', body, headers: { 'content-type': contentType, ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

async function stats(): Promise<Record<string, any>> {
  const res = await fetch(`${base}/__p2p/stats`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  assert.equal(res.status, 200);
  return res.json() as Promise<Record<string, any>>;
}

async function metrics() {
  const res = await fetch(`${base}/__p2p/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  assert.equal(res.status, 200);
  return parsePrometheusText(await res.text());
}

const report = (assets: ReportBody['assets']): string => JSON.stringify({ v: 1, page: '/gallery', assets } satisfies ReportBody);

test('a valid beacon (text/plain, as sendBeacon sends it) moves /stats and /metrics', async () => {
  const before = await metrics();
  const res = await post(report([
    { id: ID_A, source: 'peer', bytes: 3000, ms: 120 },
    { id: ID_A, source: 'server', bytes: 1000, ms: 80, fallback: 'timeout' },
    { id: ID_B, source: 'seeder', bytes: 2000, ms: 200 },
    { id: ID_B, source: 'webseed', bytes: 500 },
  ]));
  assert.equal(res.status, 204);
  const json = await post(report([{ id: ID_B, source: 'server', bytes: 1500 }]), 'application/json');
  assert.equal(json.status, 204);

  const s = await stats();
  assert.deepEqual(s.bytes, { peer: 3000, seeder: 2000, server: 2500, webseed: 500 });
  assert.equal(s.totalBytes, 8000);
  assert.equal(s.offload.peer, 3000 / 8000);
  assert.equal(s.offload.p2p, 5000 / 8000);
  assert.equal(s.offload.origin, 5500 / 8000);
  assert.equal(s.fallbacks.timeout, 1);
  assert.equal(s.timeToImage.count, 3);
  assert.equal(s.timeToImage.medianMs, 120);
  assert.equal(s.topAssets[0].id, ID_A);
  assert.equal(s.topAssets[0].peerShare, 0.75);
  assert.equal(s.reports, 2);
  // Signaling runs in the app: its figures are there, with no browser connected.
  assert.equal(s.peers, 0);
  assert.equal(s.swarms, 0);
  assert.equal(typeof (s.sources.signaling as { connections: unknown }).connections, 'number');

  const after = await metrics();
  for (const [source, bytes] of [['peer', 3000], ['seeder', 2000], ['server', 2500], ['webseed', 500]] as const) {
    assert.equal(sampleValue(after, 'peerconnect_media_bytes_total', { source }) - sampleValue(before, 'peerconnect_media_bytes_total', { source }), bytes, source);
  }
  assert.equal(sampleValue(after, 'peerconnect_fallbacks_total', { reason: 'timeout' }), 1);
  assert.equal(sampleValue(after, 'peerconnect_offload_ratio', { scope: 'peer' }), 3000 / 8000);
  assert.equal(sampleValue(after, 'peerconnect_offload_ratio', { scope: 'origin' }), 5500 / 8000);
  assert.equal(sampleValue(after, 'peerconnect_reports_total', { result: 'accepted' }), 2);
  assert.equal(sampleValue(after, 'peerconnect_time_to_image_seconds_count', { source: 'peer' }), 1);
});

test('bad report bodies are answered 400 and change nothing', async () => {
  const beforeStats = await stats();
  const bad = [
    'not json',
    '[]',
    JSON.stringify({ v: 2, page: '/', assets: [] }),
    JSON.stringify({ v: 1, page: 'no-slash', assets: [] }),
    report([{ id: 'short', source: 'peer', bytes: 1 }]),
    report([{ id: ID_A, source: 'carrier-pigeon' as 'peer', bytes: 1 }]),
    report([{ id: ID_A, source: 'peer', bytes: -5 }]),
    report([{ id: ID_A, source: 'peer', bytes: 1.5 }]),
    report([{ id: ID_A, source: 'peer', bytes: 1, fallback: 'bored' as 'timeout' }]),
    JSON.stringify({ v: 1, page: '/', assets: [], extra: true }),
    JSON.stringify({ v: 1, page: '/', assets: [{ id: ID_A, source: 'peer', bytes: 1, html: '<script>' }] }),
  ];
  for (const body of bad) {
    const res = await post(body);
    assert.equal(res.status, 400, body);
    const answer = await res.json() as { error: string };
    assert.equal(answer.error, 'PC_ERR_BAD_REQUEST');
  }
  const wrongType = await post(report([]), 'application/x-www-form-urlencoded');
  assert.equal(wrongType.status, 415);
  await wrongType.arrayBuffer();
  const get = await fetch(`${base}/__p2p/report`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  assert.equal(get.status, 405);
  await get.arrayBuffer();
  assert.deepEqual((await stats()).bytes, beforeStats.bytes);
  const m = await metrics();
  assert.ok(sampleValue(m, 'peerconnect_reports_total', { result: 'invalid' }) >= bad.length);
});

test('hedge outcomes reach /metrics: hedges started, won by each leg, and the bytes their HTTP legs fetched, bounded', async () => {
  const before = await metrics();
  const res = await post(report([
    // HTTP won: its bytes are the server bytes.
    { id: ID_A, source: 'server', bytes: 4000, ms: 300, hedge: 'http', hedgeBytes: 4000 },
    // The peer won after the HTTP leg had completed too: that leg's bytes were spent all the same.
    { id: ID_B, source: 'peer', bytes: 2500, ms: 250, hedge: 'peer', hedgeBytes: 2500 },
    // The peer won and the HTTP leg was cut off unread.
    { id: ID_B, source: 'peer', bytes: 2500, ms: 260, hedge: 'peer' },
    // Not hedged at all.
    { id: ID_A, source: 'peer', bytes: 4000, ms: 100 },
  ]));
  assert.equal(res.status, 204);
  const after = await metrics();
  const delta = (name: string, labels?: Record<string, string>): number => sampleValue(after, name, labels) - sampleValue(before, name, labels);
  assert.equal(delta('peerconnect_hedges_total'), 3);
  assert.equal(delta('peerconnect_hedges_won_total', { leg: 'peer' }), 2);
  assert.equal(delta('peerconnect_hedges_won_total', { leg: 'http' }), 1);
  assert.equal(delta('peerconnect_hedge_http_bytes_total'), 6500);

  // An HTTP leg claiming more than an asset could hold counts no more than REPORT_UNKNOWN_ASSET_MAX_BYTES.
  const huge = await post(report([{ id: ID_A, source: 'peer', bytes: 0, hedge: 'peer', hedgeBytes: REPORT_UNKNOWN_ASSET_MAX_BYTES * 4 }]));
  assert.equal(huge.status, 204);
  const bounded = await metrics();
  assert.equal(sampleValue(bounded, 'peerconnect_hedge_http_bytes_total') - sampleValue(after, 'peerconnect_hedge_http_bytes_total'), REPORT_UNKNOWN_ASSET_MAX_BYTES);

  // Hedge fields that are not a hedge's are refused with the whole report (few posts: the address's burst is 20).
  for (const assets of [
    [{ id: ID_A, source: 'peer', bytes: 1, hedgeBytes: 10 }],
    [{ id: ID_A, source: 'peer', bytes: 1, hedge: 'peer', hedgeBytes: 1.5 }],
  ]) {
    const bad = await post(JSON.stringify({ v: 1, page: '/gallery', assets }));
    assert.equal(bad.status, 400, JSON.stringify(assets));
  }
  const unchanged = await metrics();
  assert.equal(sampleValue(unchanged, 'peerconnect_hedges_total'), sampleValue(bounded, 'peerconnect_hedges_total'));
});

test('oversize bodies are refused with 413, declared or streamed', async () => {
  const big = 'x'.repeat(REPORT_MAX_BYTES + 1);
  const declared = await post(big);
  assert.equal(declared.status, 413);
  await declared.arrayBuffer();

  // Chunked, no Content-Length: the server must count while reading and stop.
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/__p2p/report`, { method: 'POST', headers: { 'content-type': 'text/plain' }, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    const chunk = Buffer.alloc(4096, 0x20);
    // Write up to 4 × the bound; the answer must arrive before we are done.
    let written = 0;
    const pump = (): void => {
      while (written < REPORT_MAX_BYTES * 4) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(status, 413);
});

test('a flood from one address is rate limited with 429 and Retry-After', async () => {
  // The tests above spent part of this address's burst: start the flood from a full bucket.
  await app.close();
  app = await startProxy({ ADMIN_TOKEN: TOKEN });
  base = app.url.href.replace(/\/$/, '');
  const body = report([{ id: ID_A, source: 'server', bytes: 1 }]);
  const answers = await Promise.all(Array.from({ length: 60 }, () => post(body)));
  const statuses = answers.map((res) => res.status);
  await Promise.all(answers.map((res) => res.arrayBuffer()));
  const limited = answers.filter((res) => res.status === 429);
  assert.ok(limited.length > 0, `expected some 429 in ${statuses.join(',')}`);
  assert.ok(statuses.includes(204));
  assert.ok(Number(limited[0]?.headers.get('retry-after')) >= 1);
  assert.ok(sampleValue(await metrics(), 'peerconnect_reports_total', { result: 'rate-limited' }) >= limited.length);
});
