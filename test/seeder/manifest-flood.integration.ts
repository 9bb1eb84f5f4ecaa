import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { MAX_MANIFEST_URLS, type ManifestResponse } from '../../protocol/manifest.js';
import { ByteCache } from '../../seeder/cache/byte-cache.js';
import { MANIFEST_FETCH_BURST, MANIFEST_FETCHES_PER_SEC } from '../../seeder/http/manifest-route.js';
import { MAX_ORIGIN_FETCHES, MediaIndex } from '../../seeder/index/media-index.js';
import { UrlScope } from '../../seeder/index/url-scope.js';
import { CountingOrigin, pseudoRandomBytes } from './counting-origin.js';
import { startSeederHarness, type SeederHarness } from './seeder-harness.js';

const PNG = pseudoRandomBytes(2_000, 3);

interface Answer {
  status: number;
  code: unknown;
  retryAfter: unknown;
  body: ManifestResponse & { error?: string };
}

async function manifest(h: SeederHarness, urls: string[], from?: string): Promise<Answer> {
  const query = urls.map((u) => `u=${encodeURIComponent(u)}`).join('&');
  const res = await request(new URL(`/__p2p/manifest?${query}`, h.proxyUrl), {
    headers: from ? { 'x-forwarded-for': from } : {},
  });
  return {
    status: res.statusCode,
    code: res.headers['x-peerconnect-error'],
    retryAfter: res.headers['retry-after'],
    body: (await res.body.json()) as Answer['body'],
  };
}

/** A full manifest request of distinct, never-seen URLs. */
let serial = 0;
function freshUrls(n = MAX_MANIFEST_URLS): string[] {
  return Array.from({ length: n }, () => `/flood/${serial++}.png`);
}

describe('/__p2p/manifest flood', () => {
  let h: SeederHarness;

  before(async () => {
    const origin = new CountingOrigin();
    await origin.listen();
    // Every path exists, as on a site with a catch-all route: the worst case for a flood.
    origin.fallback = { body: PNG, contentType: 'image/png' };
    origin.add('/img/known.png', PNG, 'image/png');
    h = await startSeederHarness({ origin, overrides: { trustProxy: ['loopback'] } });
  });

  after(async () => {
    await h.close();
    await h.origin.close();
  });

  test('one address asking for distinct URLs is cut off with 429 and Retry-After; the origin sees no more than its budget', async () => {
    const known = await manifest(h, ['/img/known.png'], '198.18.5.1');
    assert.equal(known.status, 200);
    const before = h.origin.totalHits;
    const started = Date.now();
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await manifest(h, freshUrls(), '198.18.5.1'));
    const elapsedSec = (Date.now() - started) / 1000;
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(refused.length > 0, 'the flood was never limited');
    for (const a of refused) {
      assert.equal(a.code, 'PC_ERR_RATE_LIMITED');
      assert.ok(Number(a.retryAfter) >= 1, 'Retry-After is given');
      assert.deepEqual(a.body.assets, []);
    }
    const fetched = h.origin.totalHits - before;
    // The burst, what refilled while the loop ran, and one request's worth of slack.
    assert.ok(fetched <= MANIFEST_FETCH_BURST + MANIFEST_FETCHES_PER_SEC * elapsedSec + MAX_MANIFEST_URLS,
      `origin fetched ${fetched} URLs for one address`);

    // URLs the index already holds cost nothing: the exhausted address still gets them.
    const again = await manifest(h, ['/img/known.png'], '198.18.5.1');
    assert.equal(again.status, 200);
    assert.equal(again.body.assets[0]?.p2p, true);
    // Another address is not affected.
    const other = await manifest(h, freshUrls(1), '198.18.5.2');
    assert.equal(other.status, 200);
  });

  test('many addresses at once: origin fetches stay under the global limit, the overflow is refused, not queued', async () => {
    h.origin.delayMs = 100;
    h.origin.maxActive = 0;
    try {
      // 24 addresses × 64 new URLs = 1,536 fetches: more than the gate runs and queues together.
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => manifest(h, freshUrls(), `198.18.6.${i + 1}`)));
      assert.ok(h.origin.maxActive <= MAX_ORIGIN_FETCHES, `origin saw ${h.origin.maxActive} fetches at once`);
      assert.ok(h.origin.maxActive > 1, 'fetches did overlap');
      const entries = answers.flatMap((a) => a.body.assets);
      assert.equal(entries.length, 24 * MAX_MANIFEST_URLS);
      const refused = entries.filter((e) => e.error === 'origin-error').length;
      const indexed = entries.filter((e) => e.sha256 !== undefined).length;
      assert.ok(refused > 0, 'the overflow was refused');
      assert.ok(indexed >= MAX_ORIGIN_FETCHES, 'the fetches that fit were answered');
      assert.equal(refused + indexed, entries.length);
      assert.equal(h.seeder.index.sizes.inflight, 0);
      assert.equal(h.seeder.index.fetchGate.queued, 0);
    } finally {
      h.origin.delayMs = 0;
    }
    const after = await manifest(h, freshUrls(1), '198.18.7.1');
    assert.equal(after.status, 200, 'the gate is free again');
  });
});

test('media index: a flood of distinct URLs keeps records, aliases and bytes within their bounds', async () => {
  const origin = new CountingOrigin();
  const url = await origin.listen();
  origin.fallback = { body: PNG, contentType: 'image/png' };
  const cache = new ByteCache({ maxBytes: 20 * PNG.length });
  const index = new MediaIndex({ scope: new UrlScope(url), cache, imageMaxBytes: 1_000_000, mediaTypes: ['image'], maxRecords: 50 });
  try {
    for (let i = 0; i < 400; i++) {
      const record = await index.lookup(new URL(`/many/${i}.png`, url));
      index.alias(`alias-${i}`, record.upstream);
    }
    assert.equal(origin.totalHits, 400);
    assert.ok(index.sizes.records <= 50, `${index.sizes.records} records`);
    assert.ok(index.sizes.aliases <= 100, `${index.sizes.aliases} aliases`);
    assert.ok(cache.totalBytes <= cache.maxBytes, `${cache.totalBytes} cached bytes`);
    assert.equal(index.sizes.inflight, 0);
  } finally {
    index.close();
    await cache.close();
    await origin.close();
  }
});
