import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_MESSAGE_TYPES } from '../../protocol/signal-messages.js';
import { createMetrics } from '../../core/metrics.js';
import { RATE_WINDOW_MS, SignalRateStats, messageTypeLabel } from '../../proxy/signaling/rate-stats.js';

test('rate stats: messages/s is 0 before the first sample, then counts from the oldest sample', () => {
  const stats = new SignalRateStats(undefined);
  assert.equal(stats.messagesPerSec(0), 0);
  stats.sample(0);
  for (let i = 0; i < 25; i++) stats.received();
  assert.equal(stats.messagesPerSec(0), 0, 'no time has passed');
  assert.equal(stats.messagesPerSec(2_000), 12.5);
  assert.equal(stats.snapshot(2_000, 3).messagesTotal, 25);
});

test('rate stats: samples older than RATE_WINDOW_MS stop counting, so an old burst fades out', () => {
  const stats = new SignalRateStats(undefined);
  stats.sample(0);
  for (let i = 0; i < 100; i++) stats.received();
  for (let at = 1_000; at <= 1_000 + RATE_WINDOW_MS; at += 1_000) stats.sample(at);
  assert.equal(stats.messagesPerSec(1_000 + RATE_WINDOW_MS), 0, 'the burst before the window no longer counts');
  for (let i = 0; i < 61; i++) stats.received();
  // 61 messages over the 6 s since the oldest kept sample, rounded to one decimal.
  assert.equal(stats.messagesPerSec(2_000 + RATE_WINDOW_MS), 10.2);
});

test('rate stats: metric labels are the parser\'s message types; anything else is `invalid`', () => {
  for (const type of CLIENT_MESSAGE_TYPES) assert.equal(messageTypeLabel(type), type);
  for (const junk of ['flood', 'binary', 'teleport', 'constructor', '__proto__', 'toString', '']) {
    assert.equal(messageTypeLabel(junk), 'invalid', junk);
  }
});

test('rate stats: refusals, rejections, policy closes and bad-peer reports are counted and reach the metric', async () => {
  const metrics = createMetrics();
  const stats = new SignalRateStats(metrics);
  stats.refused('per-address');
  stats.refused('per-address');
  stats.refused('full');
  stats.rejected('bad-json', 'invalid');
  stats.rejected('rate-limited', 'flood');
  stats.rejected('not-paired', 'offer');
  stats.handled('want');
  stats.policyClosed();
  stats.badPeerReported();

  const snapshot = stats.snapshot(0, 7);
  assert.deepEqual(snapshot.rejectedConnections, { 'per-address': 2, full: 1 });
  assert.deepEqual(snapshot.rejectedMessages, { 'bad-json': 1, 'rate-limited': 1, 'not-paired': 1 });
  assert.equal(snapshot.connections, 7);
  assert.equal(snapshot.policyCloses, 1);
  assert.equal(snapshot.badPeerReports, 1);
  snapshot.rejectedMessages['bad-json'] = 99;
  assert.equal(stats.snapshot(0, 7).rejectedMessages['bad-json'], 1, 'a snapshot is a copy');

  const values = (await metrics.signalingMessages.get()).values.map((v) => ({ ...v.labels, value: v.value }));
  assert.deepEqual(new Set(values.map((v) => `${v.type} ${v.result} ${v.value}`)), new Set([
    'invalid bad-json 1', 'invalid rate-limited 1', 'offer not-paired 1', 'want ok 1',
  ]));
});

test('rate stats: nat and link reports are counted by kind and outcome, and reach their metrics with bounded labels', async () => {
  const metrics = createMetrics();
  const stats = new SignalRateStats(metrics);
  stats.natReported('symmetric');
  stats.natReported('symmetric');
  stats.natReported('cone');
  stats.linkReported(true, 'srflx');
  stats.linkReported(false, 'unknown');
  stats.linkReported(false, 'relay');
  const snapshot = stats.snapshot(0, 0);
  assert.deepEqual(snapshot.natReports, { symmetric: 2, cone: 1 });
  assert.deepEqual(snapshot.linkReports, { ok: 1, failed: 2, stale: 0 });
  const nat = (await metrics.natReports.get()).values.map((v) => `${v.labels.nat} ${v.value}`);
  assert.deepEqual(new Set(nat), new Set(['symmetric 2', 'cone 1']));
  const links = (await metrics.linkAttempts.get()).values.map((v) => `${v.labels.result} ${v.labels.pair} ${v.value}`);
  assert.deepEqual(new Set(links), new Set(['ok srflx 1', 'failed none 2']), 'a failed attempt has no pair');
});
