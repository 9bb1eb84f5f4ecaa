import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { ManifestResponse } from '../../protocol/manifest.js';
import type { ReportBody } from '../../protocol/report.js';
import { REPORT_ADDRESS_BURST_BYTES, REPORT_UNKNOWN_ASSET_MAX_BYTES } from '../../proxy/stats/report-bounds.js';
import { REPORT_ASSET_MAX_BYTES } from '../../proxy/stats/report-schema.js';
import { CountingOrigin, pseudoRandomBytes } from '../seeder/counting-origin.js';
import { startTestApp } from '../seeder/app-harness.js';

const TOKEN = 'report-forgery-admin-token-0123456789';
const PNG = pseudoRandomBytes(40_000, 31);
const UNKNOWN = 'UUUUUUUUUUUUUUUUUUUUUU';

let origin: CountingOrigin;
let app: Awaited<ReturnType<typeof startTestApp>>;
let photoId: string;

async function post(assets: ReportBody['assets'], from: string): Promise<number> {
  const res = await request(new URL('/__p2p/report', app.url), {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': from },
    body: JSON.stringify({ v: 1, page: '/gallery', assets } satisfies ReportBody),
  });
  await res.body.dump();
  return res.statusCode;
}

async function bytes(): Promise<Record<string, number>> {
  const res = await request(new URL('/__p2p/stats', app.url), { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.statusCode, 200);
  return ((await res.body.json()) as { bytes: Record<string, number> }).bytes;
}

before(async () => {
  origin = new CountingOrigin();
  await origin.listen();
  origin.add('/img/photo.png', PNG, 'image/png');
  app = await startTestApp(origin, { adminToken: TOKEN, trustProxy: ['loopback'], seederMode: 'off' });
  const res = await request(new URL('/__p2p/manifest?u=/img/photo.png', app.url));
  photoId = ((await res.body.json()) as ManifestResponse).assets[0]!.id!;
});

after(async () => {
  await app.close();
  await origin.close();
});

test('a forged report counts no more than the indexed size of a known asset, and the fixed cap for an unknown one', async () => {
  const start = await bytes();
  assert.equal(await post([
    { id: photoId, source: 'peer', bytes: REPORT_ASSET_MAX_BYTES },
    { id: photoId, source: 'peer', bytes: REPORT_ASSET_MAX_BYTES },
    { id: UNKNOWN, source: 'seeder', bytes: REPORT_ASSET_MAX_BYTES },
  ], '198.18.9.1'), 204);
  const now = await bytes();
  assert.equal(now.peer! - start.peer!, PNG.length);
  assert.equal(now.seeder! - start.seeder!, REPORT_UNKNOWN_ASSET_MAX_BYTES);
});

test('one address cannot add more than its byte budget however many reports it sends; another address still counts', async () => {
  const start = await bytes();
  const perReport = Array.from({ length: 200 }, () => ({ id: UNKNOWN, source: 'server' as const, bytes: REPORT_UNKNOWN_ASSET_MAX_BYTES }));
  // 20 reports (the rate limiter's burst) × 200 × 64 MiB claimed = 250 GiB.
  for (let i = 0; i < 20; i++) assert.equal(await post(perReport, '198.18.9.2'), 204);
  const afterFlood = await bytes();
  const added = afterFlood.server! - start.server!;
  // The burst plus what refilled while the reports were sent (16 MiB/s): far below the claim.
  assert.ok(added <= REPORT_ADDRESS_BURST_BYTES + 64 * REPORT_UNKNOWN_ASSET_MAX_BYTES, `one address added ${added} bytes`);
  assert.ok(added >= REPORT_UNKNOWN_ASSET_MAX_BYTES, 'the first claims within budget still count');
  assert.equal(await post([{ id: photoId, source: 'server', bytes: 1_000 }], '198.18.9.3'), 204);
  assert.equal((await bytes()).server! - afterFlood.server!, 1_000);
});
