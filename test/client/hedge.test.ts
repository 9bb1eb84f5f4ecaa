import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEDGE_FACTOR, HEDGE_MIN_MS, hedgeDelayMs, httpTimings } from '../../client/images/hedge.js';

test('P2P_HEDGE_MS overrides the estimate; 0 never hedges', () => {
  assert.equal(hedgeDelayMs(0, [100, 200], 2_000), undefined);
  assert.equal(hedgeDelayMs(250, [5_000], 2_000), 250);
});

test('the hedge delay is HEDGE_FACTOR × the median HTTP time, within [HEDGE_MIN_MS, the ceiling given]', () => {
  // A far origin (median 400 ms): peers get 3 × 400 ms before HTTP starts too.
  assert.equal(hedgeDelayMs(undefined, [300, 400, 900], 2_000), HEDGE_FACTOR * 400);
  // Even number of samples: the mean of the middle two.
  assert.equal(hedgeDelayMs(undefined, [300, 500], 5_000), HEDGE_FACTOR * 400);
  // A near origin: never sooner than the floor, which leaves a connecting link its round trips.
  assert.equal(hedgeDelayMs(undefined, [10, 20, 30], 2_000), HEDGE_MIN_MS);
  // A very slow origin: no later than the stall deadline (the image falls back then anyway).
  assert.equal(hedgeDelayMs(undefined, [5_000], 2_000), 2_000);
  // No HTTP timing yet: the floor.
  assert.equal(hedgeDelayMs(undefined, [], 2_000), HEDGE_MIN_MS);
  // Garbage samples are ignored.
  assert.equal(hedgeDelayMs(undefined, [Number.NaN, -1, 400], 2_000), HEDGE_FACTOR * 400);
});

function fakePerformance(resources: Partial<PerformanceResourceTiming>[], nav?: Partial<PerformanceNavigationTiming>): Performance {
  return {
    getEntriesByType: (type: string) => (type === 'resource' ? resources : nav ? [nav] : []),
  } as unknown as Performance;
}

test('httpTimings reads same-origin image loads, else the page itself', () => {
  const perf = fakePerformance([
    { name: 'http://site.test/a.png', initiatorType: 'img', startTime: 100, responseEnd: 350 },
    { name: 'http://other.test/b.png', initiatorType: 'img', startTime: 100, responseEnd: 900 },
    { name: 'http://site.test/app.js', initiatorType: 'script', startTime: 10, responseEnd: 700 },
    { name: 'http://site.test/c.png', initiatorType: 'img', startTime: 200, responseEnd: 0 },
  ], { requestStart: 5, responseEnd: 85 });
  assert.deepEqual(httpTimings(perf, 'http://site.test'), [250]);
  assert.deepEqual(httpTimings(fakePerformance([], { requestStart: 5, responseEnd: 85 }), 'http://site.test'), [80]);
  assert.deepEqual(httpTimings(fakePerformance([]), 'http://site.test'), []);
});
