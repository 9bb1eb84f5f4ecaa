import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config/load-config.js';
import { ConfigError } from '../../../core/errors.js';

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pc-config-')), 'peerconnect.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return assert.fail(`accepted ${JSON.stringify(env)}`);
}

const TURN = { username: 'u', credential: 'p' };

test('defaults: no ICE servers, no TURN, TTL 3600 s, STUN responder on 3478', () => {
  const config = loadConfig({});
  assert.deepEqual(config.iceServers, []);
  assert.deepEqual(config.turnUrls, []);
  assert.equal(config.turnSecret, undefined);
  assert.equal(config.turnTtlS, 3600);
  assert.equal(config.stunPort, 3478);
});

test('P2P_ICE_SERVERS: a comma list of URLs becomes { urls } entries, as before', () => {
  const config = loadConfig({ P2P_ICE_SERVERS: 'stun:stun.example.com:3478, stuns:stun.example.com' });
  assert.deepEqual(config.iceServers, [{ urls: 'stun:stun.example.com:3478' }, { urls: 'stuns:stun.example.com' }]);
});

test('P2P_ICE_SERVERS: a JSON array of RTCIceServer objects, static TURN credentials included', () => {
  const servers = [
    { urls: 'stun:stun.example.com' },
    { urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], ...TURN },
    'stun:bare.example.com',
  ];
  const config = loadConfig({ P2P_ICE_SERVERS: JSON.stringify(servers) });
  assert.deepEqual(config.iceServers, [servers[0], servers[1], { urls: 'stun:bare.example.com' }]);
});

test('the JSON config file takes the iceServers array; env overrides it', () => {
  const path = configFile({ iceServers: [{ urls: 'turn:turn.example.com', ...TURN }], turnTtlS: 600, stunPort: 'off' });
  const fromFile = loadConfig({ PEERCONNECT_CONFIG: path });
  assert.deepEqual(fromFile.iceServers, [{ urls: 'turn:turn.example.com', ...TURN }]);
  assert.equal(fromFile.turnTtlS, 600);
  assert.equal(fromFile.stunPort, 'off');
  assert.deepEqual(loadConfig({ PEERCONNECT_CONFIG: path, P2P_ICE_SERVERS: 'stun:a.example.com' }).iceServers, [{ urls: 'stun:a.example.com' }]);
  const bad = configFile({ iceServers: [{ urls: 'turn:turn.example.com' }] });
  assert.throws(() => loadConfig({ PEERCONNECT_CONFIG: bad }), (err: unknown) => err instanceof ConfigError
    && err.message.startsWith(`iceServers=[{"urls":"turn:turn.example.com"}] in ${bad}: expected `)
    && err.message.includes('needs a username and credential'));
});

test('bad ICE servers are refused naming the key, the value, what is expected and what is wrong', () => {
  assert.match(configError({ P2P_ICE_SERVERS: 'http://stun.example.com' }),
    /^P2P_ICE_SERVERS="http:\/\/stun.example.com": expected a comma list of stun:\/stuns:\/turn:\/turns: URLs, or a JSON array .* \("http:\/\/stun.example.com" is not a stun:, stuns:, turn: or turns: URL\)$/);
  assert.match(configError({ P2P_ICE_SERVERS: 'turn:turn.example.com' }),
    /^P2P_ICE_SERVERS="turn:turn.example.com": expected .*\("turn:turn.example.com" needs a username and credential \(or set TURN_URLS and TURN_SECRET for minted ones\)\)$/);
  assert.match(configError({ P2P_ICE_SERVERS: '[{"urls":"turn:t.example.com","username":"u"}]' }), /needs a username and credential/);
  assert.match(configError({ P2P_ICE_SERVERS: '[{"urls":"stun:s.example.com","password":"x"}]' }), /^P2P_ICE_SERVERS=.*: expected a comma list/);
  assert.match(configError({ P2P_ICE_SERVERS: '[{"urls":"stun:s.example.com"' }), /^P2P_ICE_SERVERS=.*: expected a comma list/);
  assert.match(configError({ P2P_ICE_SERVERS: '[{"urls":[]}]' }), /^P2P_ICE_SERVERS=/);
  assert.match(configError({ P2P_ICE_SERVERS: 'stun:a b' }), /is not a stun:/);
  // Room is kept in the welcome (at most 8 entries) for the minted TURN entry.
  assert.match(configError({ P2P_ICE_SERVERS: Array.from({ length: 8 }, (_, i) => `stun:s${i}.example.com`).join(',') }), /^P2P_ICE_SERVERS=/);
});

test('TURN_URLS with TURN_SECRET: minted credentials configured', () => {
  const config = loadConfig({ TURN_URLS: 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349', TURN_SECRET: 'coturn-shared-secret', TURN_TTL_S: '900' });
  assert.deepEqual(config.turnUrls, ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349']);
  assert.equal(config.turnSecret, 'coturn-shared-secret');
  assert.equal(config.turnTtlS, 900);
});

test('TURN_URLS without TURN_SECRET, or the reverse, is a config error that never shows the secret', () => {
  assert.match(configError({ TURN_URLS: 'turn:turn.example.com' }), /^TURN_URLS="turn:turn.example.com": expected TURN_SECRET as well/);
  const message = configError({ TURN_SECRET: 'coturn-shared-secret' });
  assert.match(message, /^TURN_SECRET is set: expected TURN_URLS as well/);
  assert.ok(!message.includes('coturn-shared-secret'));
  assert.match(configError({ TURN_URLS: 'stun:stun.example.com', TURN_SECRET: 'coturn-shared-secret' }), /^TURN_URLS="stun:stun.example.com": expected a comma list of turn:\/turns: URLs/);
  assert.match(configError({ TURN_URLS: 'turn:t.example.com', TURN_SECRET: 'short' }), /^TURN_SECRET="short": expected a secret of at least 8 characters/);
  assert.match(configError({ TURN_TTL_S: '10' }), /^TURN_TTL_S="10": expected an integer from 60 to 604800 \(seconds\)$/);
});

test('STUN_PORT: a port, 0 for any free port, or off', () => {
  assert.equal(loadConfig({ STUN_PORT: '3479' }).stunPort, 3479);
  assert.equal(loadConfig({ STUN_PORT: '0' }).stunPort, 0);
  assert.equal(loadConfig({ STUN_PORT: 'off' }).stunPort, 'off');
  assert.equal(loadConfig({}, { stunPort: '0' }).stunPort, 0);
  assert.equal(configError({ STUN_PORT: '70000' }), 'STUN_PORT="70000": expected a UDP port number 0-65535, or off');
  assert.equal(configError({ STUN_PORT: 'no' }), 'STUN_PORT="no": expected a UDP port number 0-65535, or off');
});
