import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_BYTES_PER_MS, DEFAULT_CONNECT_MS, DEFAULT_RTT_MS, EWMA_WEIGHT, LinkMeter, MIN_THROUGHPUT_SAMPLE_BYTES,
  expectedMs, priorsFrom, rankPeers, type PeerStanding,
} from '../../client/peer/link-score.js';

const PRIORS = { rttMs: 100, bytesPerMs: 500, connectMs: 1_000 };

test('link meter: the first sample is taken as is, later ones move the average by EWMA_WEIGHT', () => {
  const meter = new LinkMeter();
  meter.noteRtt(80);
  assert.equal(meter.rttMs, 80);
  meter.noteRtt(180);
  assert.equal(meter.rttMs, 80 + EWMA_WEIGHT * 100);
  meter.noteTransfer(200_000, 100);
  assert.equal(meter.bytesPerMs, 2_000);
  meter.noteTransfer(100_000, 100);
  assert.equal(meter.bytesPerMs, 2_000 + EWMA_WEIGHT * (1_000 - 2_000));
});

test('link meter: small transfers, zero or negative times and nonsense are not samples', () => {
  const meter = new LinkMeter();
  meter.noteTransfer(MIN_THROUGHPUT_SAMPLE_BYTES - 1, 1);
  meter.noteTransfer(100_000, 0);
  meter.noteTransfer(100_000, Number.NaN);
  meter.noteRtt(-5);
  meter.noteRtt(Number.POSITIVE_INFINITY);
  assert.equal(meter.bytesPerMs, undefined);
  assert.equal(meter.rttMs, undefined);
});

test('expected delivery: round trip plus queued and own bytes at the link rate; a new link pays the connect first', () => {
  const open: PeerStanding = { open: true, queuedBytes: 50_000, meter: { rttMs: 40, bytesPerMs: 1_000 } };
  assert.equal(expectedMs(open, 100_000, PRIORS), 40 + 150);
  assert.equal(expectedMs({ open: false, queuedBytes: 0 }, 100_000, PRIORS), 1_000 + 100 + 200, 'no link: priors for everything');
  assert.equal(expectedMs({ open: false, opening: true, queuedBytes: 0 }, 100_000, PRIORS), 500 + 100 + 200, 'opening: half the connect is spent');
});

test('ranking: the measured faster link comes first whatever order signaling gave', () => {
  const standings: Record<string, PeerStanding> = {
    slow: { open: true, queuedBytes: 0, meter: { rttMs: 160, bytesPerMs: 300 } },
    fast: { open: true, queuedBytes: 0, meter: { rttMs: 80, bytesPerMs: 2_000 } },
  };
  assert.deepEqual(rankPeers(['slow', 'fast'], (p) => standings[p]!, 200_000, PRIORS), ['fast', 'slow']);
});

test('ranking: a fast link with a long queue yields to an idle slower one once the queue outweighs the speed', () => {
  const standings: Record<string, PeerStanding> = {
    busy: { open: true, queuedBytes: 4_000_000, meter: { rttMs: 80, bytesPerMs: 2_000 } },
    idle: { open: true, queuedBytes: 0, meter: { rttMs: 80, bytesPerMs: 500 } },
  };
  assert.deepEqual(rankPeers(['busy', 'idle'], (p) => standings[p]!, 100_000, PRIORS), ['idle', 'busy']);
  standings.busy!.queuedBytes = 100_000;
  assert.deepEqual(rankPeers(['idle', 'busy'], (p) => standings[p]!, 100_000, PRIORS), ['busy', 'idle']);
});

test('ranking: an open link beats connecting to an untried peer of the same guessed speed; a proven slow one loses to the guess', () => {
  const standings: Record<string, PeerStanding> = {
    untried: { open: false, queuedBytes: 0 },
    open: { open: true, queuedBytes: 0, meter: { rttMs: 100, bytesPerMs: 500 } },
    crawling: { open: true, queuedBytes: 0, meter: { rttMs: 300, bytesPerMs: 20 } },
  };
  assert.deepEqual(rankPeers(['untried', 'crawling', 'open'], (p) => standings[p]!, 100_000, PRIORS), ['open', 'untried', 'crawling']);
});

test('ranking: equal estimates keep the given order', () => {
  const same: PeerStanding = { open: false, queuedBytes: 0 };
  assert.deepEqual(rankPeers(['c', 'a', 'b'], () => same, 10_000, PRIORS), ['c', 'a', 'b']);
});

test('priors: medians of the measured links, defaults for what none measured', () => {
  assert.deepEqual(priorsFrom([]), { rttMs: DEFAULT_RTT_MS, bytesPerMs: DEFAULT_BYTES_PER_MS, connectMs: DEFAULT_CONNECT_MS });
  const priors = priorsFrom([
    { rttMs: 50, bytesPerMs: 1_000, connectMs: 900 },
    { rttMs: 150, bytesPerMs: undefined, connectMs: 700 },
    { rttMs: 100, bytesPerMs: 3_000, connectMs: undefined },
  ]);
  assert.deepEqual(priors, { rttMs: 100, bytesPerMs: 2_000, connectMs: 800 });
});
