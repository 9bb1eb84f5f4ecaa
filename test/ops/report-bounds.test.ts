import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportBody } from '../../protocol/report.js';
import { REPORT_UNKNOWN_ASSET_MAX_BYTES, ReportBounds } from '../../proxy/stats/report-bounds.js';

const KNOWN = 'KKKKKKKKKKKKKKKKKKKKKK';
const OTHER = 'OOOOOOOOOOOOOOOOOOOOOO';
const report = (assets: ReportBody['assets']): ReportBody => ({ v: 1, page: '/', assets });
const sizes: Record<string, number> = { [KNOWN]: 10_000 };

test('report bounds: an honest report passes untouched', () => {
  const bounds = new ReportBounds({ sizeOf: (id) => sizes[id] });
  const honest = report([{ id: KNOWN, source: 'peer', bytes: 6_000 }, { id: KNOWN, source: 'server', bytes: 4_000 }, { id: OTHER, source: 'server', bytes: 5_000 }]);
  const { report: out, droppedBytes } = bounds.apply(honest, 'a');
  assert.equal(droppedBytes, 0);
  assert.equal(out, honest);
});

test('report bounds: one asset counts at most its indexed size per report, across sources; unknown ids at most the fixed cap', () => {
  const bounds = new ReportBounds({ sizeOf: (id) => sizes[id] });
  const { report: out, droppedBytes } = bounds.apply(report([
    { id: KNOWN, source: 'peer', bytes: 9_000 },
    { id: KNOWN, source: 'seeder', bytes: 9_000 },
    { id: OTHER, source: 'peer', bytes: 60 * 1024 ** 3 },
  ]), 'a');
  assert.deepEqual(out.assets.map((a) => a.bytes), [9_000, 1_000, REPORT_UNKNOWN_ASSET_MAX_BYTES]);
  assert.equal(droppedBytes, 8_000 + 60 * 1024 ** 3 - REPORT_UNKNOWN_ASSET_MAX_BYTES);
});

test('report bounds: one address has a byte budget across reports; other addresses keep theirs; it refills', () => {
  let now = 0;
  const bounds = new ReportBounds({ sizeOf: (id) => sizes[id], burstBytes: 25_000, bytesPerSec: 10_000, now: () => now });
  const full = report([{ id: KNOWN, source: 'peer', bytes: 10_000 }]);
  const counted = (address: string): number => bounds.apply(full, address).report.assets[0]!.bytes;
  assert.deepEqual([counted('a'), counted('a'), counted('a')], [10_000, 10_000, 0]);
  assert.equal(counted('b'), 10_000);
  now = 1_000;
  assert.equal(counted('a'), 10_000);
});
