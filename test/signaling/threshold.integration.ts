import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import type { RunningApp } from '../../proxy/app.js';
import { ATTR } from '../../protocol/client-config.js';
import { parseAssetTag } from '../../protocol/media.js';
import { startProxy } from '../helpers/proxy.js';
import { SignalTestClient } from './signal-test-client.js';

const THRESHOLD = 3;
const SETTLE_TIMEOUT_MS = 5_000;

interface TaggedImage {
  id: string;
  mode: string | undefined;
  src: string | undefined;
  peerSrc: string | undefined;
}

let app: RunningApp;
const visitors: SignalTestClient[] = [];

before(async () => {
  app = await startProxy({ P2P_THRESHOLD: String(THRESHOLD) });
});
after(async () => {
  for (const visitor of visitors) visitor.close();
  await app.close();
});

/** One page view through the real proxy and injector: every tagged image element (img, picture source) as served. */
async function visit(): Promise<TaggedImage[]> {
  const html = await (await fetch(new URL('/', app.url))).text();
  const $ = cheerio.load(html);
  return $(`[${ATTR.tag}*=".image."]`).toArray().map((el) => ({
    id: parseAssetTag($(el).attr(ATTR.tag) as string).id,
    mode: parseAssetTag($(el).attr(ATTR.tag) as string).mode,
    src: $(el).attr('src') ?? $(el).attr('srcset'),
    peerSrc: $(el).attr(ATTR.src) ?? $(el).attr(ATTR.srcset),
  }));
}

test(`threshold ${THRESHOLD}: visitors 1-${THRESHOLD} keep src (and become holders), visitor ${THRESHOLD + 1} gets peer loading`, async () => {
  for (let visitor = 1; visitor <= THRESHOLD; visitor++) {
    const images = await visit();
    assert.ok(images.length > 0, 'the demo page has tagged images');
    for (const image of images) {
      assert.equal(image.mode, 'http', `visitor ${visitor}: ${image.id} loads over HTTP`);
      assert.ok(image.src, `visitor ${visitor}: ${image.id} keeps its src`);
    }
    // The visitor finished downloading every image and announces it, as the client does.
    const client = await SignalTestClient.connect(app.url);
    visitors.push(client);
    client.send({ type: 'have', assets: images.map((image) => image.id) });
  }
  // `have` travels over a socket: wait (bounded) until the registry has all three holders.
  const first = (await visit())[0] as TaggedImage;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (app.signaling.registry.holderCount(first.id) < THRESHOLD) {
    assert.ok(Date.now() < deadline, 'holders registered in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const fourth = await visit();
  for (const image of fourth) {
    assert.equal(image.mode, 'peer', `visitor ${THRESHOLD + 1}: ${image.id} loads from peers`);
    assert.equal(image.src, undefined, `visitor ${THRESHOLD + 1}: ${image.id} has no src to fetch`);
    assert.ok(image.peerSrc, `visitor ${THRESHOLD + 1}: ${image.id} keeps its URL for the HTTP fallback`);
  }

  // A holder leaving drops the asset back under the threshold.
  visitors[0]?.close();
  const back = Date.now() + SETTLE_TIMEOUT_MS;
  while ((await visit()).some((image) => image.mode === 'peer')) {
    assert.ok(Date.now() < back, 'back to HTTP after a holder left');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
