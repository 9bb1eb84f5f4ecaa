import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnstorableUrls } from '../../../proxy/cache/unstorable-urls.js';

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

const OK = { status: 200, requestNoStore: false };

describe('URLs known unstorable', () => {
  test('a reason about the URL is remembered for the TTL, then forgotten', () => {
    const time = clock();
    const urls = new UnstorableUrls({ ttlMs: 1000, perf: time });
    urls.note('h /a.mp4', 'no-store', OK);
    urls.note('h /b.mp4', 'too-large', OK);
    assert.equal(urls.reason('h /a.mp4'), 'no-store');
    assert.equal(urls.reason('h /b.mp4'), 'too-large');
    time.advance(999);
    assert.equal(urls.reason('h /a.mp4'), 'no-store');
    time.advance(2);
    assert.equal(urls.reason('h /a.mp4'), undefined);
  });

  test('what concerns one request or a passing failure is not remembered', () => {
    const urls = new UnstorableUrls();
    urls.note('h /cred.png', 'credentials', OK);
    urls.note('h /asked.png', 'no-store', { status: 200, requestNoStore: true });
    urls.note('h /down.png', 'status', { status: 503, requestNoStore: false });
    urls.note('h /slow.png', 'status', { status: 429, requestNoStore: false });
    urls.note('h /disk.png', 'store-error', OK);
    urls.note('h /cut.png', 'origin-error', OK);
    assert.equal(urls.size, 0);
    urls.note('h /gone.png', 'status', { status: 404, requestNoStore: false });
    assert.equal(urls.reason('h /gone.png'), 'status');
  });

  test('bounded: the least recently noted URL goes first', () => {
    const urls = new UnstorableUrls({ max: 2 });
    urls.note('h /1.png', 'private', OK);
    urls.note('h /2.png', 'private', OK);
    urls.note('h /3.png', 'private', OK);
    assert.equal(urls.size, 2);
    assert.equal(urls.reason('h /1.png'), undefined);
    assert.equal(urls.reason('h /3.png'), 'private');
  });

  test('forget drops the URLs a purge matches, and only those', () => {
    const urls = new UnstorableUrls();
    urls.note('h /v/a.mp4', 'vary', OK);
    urls.note('h /v/b.mp4', 'vary', OK);
    urls.note('h /w/c.mp4', 'vary', OK);
    urls.forget((key) => key.startsWith('h /v/'));
    assert.equal(urls.reason('h /v/a.mp4'), undefined);
    assert.equal(urls.reason('h /v/b.mp4'), undefined);
    assert.equal(urls.reason('h /w/c.mp4'), 'vary');
  });
});
