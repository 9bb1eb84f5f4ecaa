import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config/load-config.js';
import { p2pStatusLine } from '../../proxy/stats/status-line.js';

test('status line: P2P on with its settings, open admin routes flagged', () => {
  const config = loadConfig({});
  assert.equal(
    p2pStatusLine({ config, ready: { signaling: true }, registry: 'in-memory' }),
    'P2P on: image,video,audio · threshold 3 · signaling ready · seeder embedded · geo pairing · registry in-memory · admin: OPEN (set ADMIN_TOKEN)',
  );
});

test('status line: P2P off, strict privacy, admin port, and a REDIS_URL that is not in use', () => {
  const config = loadConfig({ P2P_PRIVACY: 'strict', ADMIN_TOKEN: 'x'.repeat(16), REDIS_URL: 'redis://r:6379', P2P_GEO_LOCATE: 'false' }, { mediaTypes: [] });
  const line = p2pStatusLine({ config, ready: {}, registry: 'in-memory', adminUrl: new URL('http://127.0.0.1:9090') });
  assert.equal(line, 'P2P off (no media types) · signaling absent · seeder embedded · registry in-memory · REDIS_URL not used · privacy strict · admin on 127.0.0.1:9090: token required');
  assert.ok(!line.includes('x'.repeat(16)));
});
