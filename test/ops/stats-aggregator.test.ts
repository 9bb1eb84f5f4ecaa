import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportBody } from '../../protocol/report.js';
import { createMetrics } from '../../core/metrics.js';
import { offloadRatios, StatsAggregator } from '../../proxy/stats/stats-aggregator.js';
import { RateLimiter } from '../../core/utils/rate-limiter.js';
import { SampleWindow } from '../../proxy/stats/sample-window.js';
import { parseReport } from '../../proxy/stats/report-schema.js';

const id = (n: number): string => `asset${String(n).padStart(17, '0')}`;
const report = (assets: ReportBody['assets']): ReportBody => ({ v: 1, page: '/', assets });

test('offload ratios: peer-only, over WebRTC, and not-from-origin are separate shares', () => {
  assert.deepEqual(offloadRatios({ peer: 0, seeder: 0, server: 0, webseed: 0 }), { peer: null, p2p: null, origin: null });
  assert.deepEqual(offloadRatios({ peer: 50, seeder: 20, server: 20, webseed: 10 }), { peer: 0.5, p2p: 0.7, origin: 0.8 });
});

test('per-asset figures are bounded and the top list ranks by bytes from peers', () => {
  const stats = new StatsAggregator({ maxAssets: 5, topAssets: 3 });
  for (let i = 0; i < 20; i++) stats.ingest(report([{ id: id(i), source: 'peer', bytes: i * 10 }, { id: id(i), source: 'server', bytes: 100 }]));
  const snap = stats.snapshot();
  assert.equal(snap.trackedAssets, 5);
  assert.deepEqual(snap.topAssets.map((a) => a.id), [id(19), id(18), id(17)]);
  assert.equal(snap.topAssets[0]?.peerShare, 190 / 290);
  // Totals keep every byte even when the per-asset entry was evicted.
  assert.equal(snap.bytes.server, 2000);
});

test('time to image: median and p95 over a bounded window, overall and by source', () => {
  const stats = new StatsAggregator({ ttiWindow: 100 });
  for (let ms = 1; ms <= 300; ms++) stats.ingest(report([{ id: id(1), source: ms % 2 ? 'peer' : 'server', bytes: 1, ms }]));
  const tti = stats.snapshot().timeToImage;
  assert.equal(tti.count, 100, 'only the last 100 samples are kept');
  assert.equal(tti.medianMs, 250);
  assert.equal(tti.p95Ms, 295);
  assert.equal(tti.bySource.peer.count, 100);
  assert.equal(tti.bySource.webseed.medianMs, null);
});

test('fallbacks are counted by reason and feed the metrics', async () => {
  const metrics = createMetrics();
  const stats = new StatsAggregator({ metrics });
  stats.ingest(report([
    { id: id(1), source: 'server', bytes: 10, fallback: 'timeout' },
    { id: id(2), source: 'server', bytes: 10, fallback: 'timeout' },
    { id: id(3), source: 'server', bytes: 10, fallback: 'hash-mismatch' },
    { id: id(4), source: 'peer', bytes: 30 },
  ]));
  const snap = stats.snapshot();
  assert.equal(snap.fallbacks.timeout, 2);
  assert.equal(snap.fallbacks['hash-mismatch'], 1);
  assert.equal(snap.fallbacks['ice-failed'], 0);
  const fallbacks = await metrics.fallbacks.get();
  assert.equal(fallbacks.values.find((v) => v.labels.reason === 'timeout')?.value, 2);
  const ratio = await metrics.offloadRatio.get();
  assert.equal(ratio.values.find((v) => v.labels.scope === 'peer')?.value, 0.5);
});

test('history keeps a fixed number of time buckets and fills gaps', () => {
  let now = 1_000_000;
  const stats = new StatsAggregator({ bucketMs: 1000, historyBuckets: 4, now: () => now });
  stats.ingest(report([{ id: id(1), source: 'peer', bytes: 5 }]));
  now += 2000;
  stats.ingest(report([{ id: id(1), source: 'server', bytes: 7 }]));
  let history = stats.snapshot().history;
  assert.deepEqual(history.map((b) => [b.t, b.bytes.peer, b.bytes.server]), [[1_000_000, 5, 0], [1_001_000, 0, 0], [1_002_000, 0, 7]]);
  now += 60_000;
  history = stats.snapshot().history;
  assert.equal(history.length, 4);
  assert.equal(history.at(-1)?.t, 1_062_000);
  assert.ok(history.every((b) => b.bytes.peer === 0 && b.bytes.server === 0));
});

test('sample window: nearest-rank quantiles, empty window gives undefined', () => {
  const window = new SampleWindow(3);
  assert.deepEqual(window.quantiles([0.5]), [undefined]);
  for (const v of [5, 1, 9, 3]) window.add(v);
  assert.equal(window.count, 3);
  assert.deepEqual(window.quantiles([0, 0.5, 1]), [1, 3, 9]);
  assert.throws(() => new SampleWindow(0), RangeError);
});

test('rate limiter: a burst, then the refill rate; the client map stays bounded', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 3, perSecond: 1, maxClients: 2, now: () => now });
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a')), [true, true, true, false]);
  assert.equal(limiter.retryAfterSeconds('a'), 1);
  now += 1000;
  assert.equal(limiter.take('a'), true);
  assert.equal(limiter.take('a'), false);
  limiter.take('b');
  limiter.take('c');
  assert.equal(limiter.size, 2);
});

test('report schema: accepts the protocol shape, names the first problem otherwise', () => {
  const ok = parseReport(JSON.stringify({ v: 1, page: '/a/b.html', assets: [{ id: id(1), source: 'webseed', bytes: 0, ms: 12.5, fallback: 'no-holder' }] }));
  assert.equal(ok.assets[0]?.source, 'webseed');
  assert.throws(() => parseReport('{'), /not JSON/);
  assert.throws(() => parseReport(JSON.stringify({ v: 1, page: '/', assets: [{ id: id(1), source: 'peer', bytes: 1, ms: -1 }] })), /assets\.0\.ms/);
  assert.throws(() => parseReport(JSON.stringify({ v: 1, page: '/?q=secret', assets: [] })), /page/);
  assert.throws(() => parseReport(JSON.stringify({ v: 1, page: '/', assets: Array(201).fill({ id: id(1), source: 'peer', bytes: 1 }) })), /assets/);
});
