import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import { TurnCredentials, mintTurnCredential } from '../../proxy/signaling/turn-credentials.js';
import { createLogger, loggerOptionsFor } from '../../core/logger.js';
import { loadConfig } from '../../core/config/load-config.js';

const SECRET = 'north-harbour-secret';
const NOW_MS = 1_700_000_000_000;

test('mints the TURN REST credential: <expiry>:<peer id>, base64 HMAC-SHA1 of it (known vector)', () => {
  // Computed independently: printf '1700003600:AbCdEfGhIjKlMnOp' | openssl dgst -sha1 -hmac north-harbour-secret -binary | base64
  const minted = mintTurnCredential(SECRET, 'AbCdEfGhIjKlMnOp', 3600, NOW_MS);
  assert.deepEqual(minted, { username: '1700003600:AbCdEfGhIjKlMnOp', credential: 'E81A9YrlvKHgRIMzSoSL2fs3ap8=', expiresAt: 1_700_003_600 });
  // Milliseconds are dropped, not rounded up.
  assert.equal(mintTurnCredential(SECRET, 'p', 60, NOW_MS + 999).expiresAt, 1_700_000_060);
});

test('one IceServer entry per peer, fresh at every call, with every configured URL', () => {
  let now = NOW_MS;
  const turn = new TurnCredentials({ urls: ['turn:turn.example.com:3478', 'turns:turn.example.com:5349'], secret: SECRET, ttlS: 600, now: () => now });
  const first = turn.serverFor('peerA');
  assert.deepEqual(first.urls, ['turn:turn.example.com:3478', 'turns:turn.example.com:5349']);
  assert.equal(first.username, '1700000600:peerA');
  now += 5_000;
  const again = turn.serverFor('peerA');
  assert.equal(again.username, '1700000605:peerA');
  assert.notEqual(again.credential, first.credential);
  assert.equal(new TurnCredentials({ urls: ['turn:t.example.com'], secret: SECRET, ttlS: 600 }).serverFor('x').urls, 'turn:t.example.com');
});

test('the secret stays out of inspect, JSON and logs', () => {
  const turn = new TurnCredentials({ urls: ['turn:turn.example.com'], secret: SECRET, ttlS: 600 });
  assert.ok(!inspect(turn, { depth: 5, showHidden: true }).includes(SECRET));
  assert.ok(!JSON.stringify(turn).includes(SECRET));

  const config = loadConfig({ TURN_URLS: 'turn:turn.example.com', TURN_SECRET: SECRET, P2P_ICE_SERVERS: '[{"urls":"turn:static.example.com","username":"u","credential":"static-turn-password"}]' });
  let text = '';
  const destination = new Writable({ write(chunk: Buffer, _enc, done) { text += chunk.toString(); done(); } });
  const logger = createLogger('info', { ...loggerOptionsFor(config), destination });
  logger.info({ config }, 'starting');
  logger.info({ turnSecret: SECRET, server: { credential: 'anything' } }, 'fields');
  logger.warn(`coturn refused with secret ${SECRET} and static-turn-password`);
  assert.ok(text.length > 0);
  assert.ok(!text.includes(SECRET), text);
  assert.ok(!text.includes('static-turn-password'), text);
  assert.ok(!text.includes('"credential":"anything"'), text);
});
