import { test } from 'node:test';
import assert from 'node:assert/strict';
import { largestInView } from '../../client/images/lcp-candidate.js';

const box = (left: number, top: number, width: number, height: number): HTMLImageElement =>
  ({ getBoundingClientRect: () => ({ left, top, right: left + width, bottom: top + height }) }) as unknown as HTMLImageElement;

test('the LCP candidate is the parked image covering most of the first viewport, counting only its visible part', () => {
  const viewport = { width: 1200, height: 900 };
  const hero = box(0, 100, 1200, 400);
  const thumb = box(0, 520, 300, 140);
  const huge = box(0, 880, 1200, 2000); // mostly below the fold: 1200 × 20 visible
  assert.equal(largestInView([thumb, huge, hero], viewport), hero);
  assert.equal(largestInView([thumb, huge], viewport), thumb);
  assert.equal(largestInView([box(0, 1000, 800, 600), box(-900, 0, 800, 600)], viewport), undefined, 'nothing in view: nothing goes to HTTP');
  assert.equal(largestInView([], viewport), undefined);
});
