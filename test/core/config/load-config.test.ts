import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../../core/config/load-config.js';
import { ConfigError } from '../../../core/errors.js';
import { OPTIONS } from '../../../core/config/options.js';
import { helpText } from '../../../core/config/help.js';

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'pc-config-'));
  const path = join(dir, 'peerconnect.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('defaults are the original PeerConnect ones', () => {
  const config = loadConfig({});
  assert.equal(config.threshold, 3);
  assert.deepEqual(config.mediaTypes, ['image', 'video', 'audio']);
  assert.deepEqual(config.excludeFormats, ['gif']);
  assert.equal(config.foldLoading, false);
  assert.equal(config.geoLocate, true);
  assert.equal(config.videoRoute, './assets/videos');
  assert.equal(config.torrentRoute, './assets');
  assert.equal(config.domainName, undefined);
  assert.equal(config.port, 8080);
  assert.ok(Object.isFrozen(config));
});

test('the JSON file uses the original keys; env overrides the file', () => {
  const path = configFile({ threshold: 5, mediaTypes: ['image'], foldLoading: true, domainName: 'www.example.com', excludeFormats: ['GIF', 'svg'] });
  const fromFile = loadConfig({ PEERCONNECT_CONFIG: path });
  assert.equal(fromFile.threshold, 5);
  assert.deepEqual(fromFile.mediaTypes, ['image']);
  assert.equal(fromFile.foldLoading, true);
  assert.equal(fromFile.domainName, 'www.example.com');
  assert.deepEqual(fromFile.excludeFormats, ['gif', 'svg']);
  const overridden = loadConfig({ PEERCONNECT_CONFIG: path, P2P_THRESHOLD: '0', P2P_MEDIA_TYPES: 'video, audio', P2P_FOLD_LOADING: 'false' });
  assert.equal(overridden.threshold, 0, '0 must not be swallowed as "unset"');
  assert.deepEqual(overridden.mediaTypes, ['video', 'audio']);
  assert.equal(overridden.foldLoading, false);
  assert.equal(overridden.domainName, 'www.example.com');
});

test('an empty list env var means an empty list; an empty scalar means unset', () => {
  const config = loadConfig({ P2P_EXCLUDE_FORMATS: '', P2P_THRESHOLD: '' });
  assert.deepEqual(config.excludeFormats, []);
  assert.equal(config.threshold, 3);
});

const BAD_VALUES: [Record<string, string>, RegExp][] = [
  [{ P2P_THRESHOLD: 'abc' }, /^P2P_THRESHOLD="abc": expected a non-negative integer$/],
  [{ P2P_THRESHOLD: '-1' }, /^P2P_THRESHOLD="-1": expected a non-negative integer$/],
  [{ P2P_THRESHOLD: '1e3' }, /^P2P_THRESHOLD="1e3": expected a non-negative integer$/],
  [{ P2P_MEDIA_TYPES: 'image,pdf' }, /^P2P_MEDIA_TYPES="image,pdf": expected a list of image, video, audio$/],
  [{ P2P_FOLD_LOADING: 'maybe' }, /^P2P_FOLD_LOADING="maybe": expected true or false$/],
  [{ P2P_GEO_LOCATE: '2' }, /^P2P_GEO_LOCATE="2": expected true or false$/],
  [{ ORIGIN: 'ftp://x' }, /^ORIGIN="ftp:\/\/x": expected an http\(s\) URL/],
  [{ PORT: '70000' }, /^PORT="70000": expected a port number 0-65535$/],
  [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL="loud": expected one of/],
  [{ ADMIN_TOKEN: 'short' }, /^ADMIN_TOKEN="short": expected a secret of at least 16 characters$/],
  [{ P2P_DOMAIN_NAME: 'bad name/' }, /^P2P_DOMAIN_NAME="bad name\/": expected a host name/],
  [{ SEEDER_MODE: 'sometimes' }, /^SEEDER_MODE="sometimes": expected embedded, external or off$/],
  [{ P2P_TRACKER_URL: 'https://tracker.example.com/announce' }, /^P2P_TRACKER_URL="https:\/\/tracker\.example\.com\/announce": expected a ws:\/\/ or wss:\/\/ WebTorrent tracker URL/],
  [{ P2P_TRACKER_URL: 'tracker.example.com' }, /^P2P_TRACKER_URL="tracker\.example\.com": expected a ws:\/\/ or wss:\/\/ WebTorrent tracker URL/],
];

for (const [env, message] of BAD_VALUES) {
  test(`config: ${Object.entries(env)[0]?.join('=')} is refused with the key, value and expectation`, () => {
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
}

test('config file errors name the key and the file', () => {
  const path = configFile({ threshold: 'three' });
  assert.throws(() => loadConfig({ PEERCONNECT_CONFIG: path }), (err: unknown) =>
    err instanceof ConfigError && err.message === `threshold="three" in ${path}: expected a non-negative integer`);
  const unknown = configFile({ treshold: 3 });
  assert.throws(() => loadConfig({ PEERCONNECT_CONFIG: unknown }), /treshold in .*: unknown option/);
  const broken = configFile('{ not json');
  assert.throws(() => loadConfig({ PEERCONNECT_CONFIG: broken }), /expected a JSON object/);
});

test('cli: a bad value stops start-up with one line and exit code 2', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'proxy/cli.ts'], {
    env: { ...process.env, P2P_THRESHOLD: 'abc' }, encoding: 'utf8', timeout: 20_000,
  });
  assert.equal(result.status, 2);
  assert.equal(result.stderr.trim(), 'peerconnect: P2P_THRESHOLD="abc": expected a non-negative integer');
});

test('cli: flags override env and are validated the same way', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'proxy/cli.ts', '--threshold', 'x'], {
    env: { ...process.env, P2P_THRESHOLD: '4' }, encoding: 'utf8', timeout: 20_000,
  });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--threshold="x": expected a non-negative integer/);
});

test('--help lists every option with its env name and default', () => {
  const help = helpText();
  for (const spec of Object.values(OPTIONS)) assert.ok(help.includes(spec.env), `${spec.env} in --help`);
  assert.match(help, /P2P_THRESHOLD\s+default: 3/);
});

test('config: P2P_TRACKER_URL takes a ws:// or wss:// tracker and is unset by default', () => {
  assert.equal(loadConfig({}).trackerUrl, undefined);
  assert.equal(loadConfig({ P2P_TRACKER_URL: 'wss://tracker.example.com/announce' }).trackerUrl, 'wss://tracker.example.com/announce');
  assert.equal(loadConfig({ P2P_TRACKER_URL: 'ws://127.0.0.1:8000' }).trackerUrl, 'ws://127.0.0.1:8000');
});

test('config: a ws:// P2P_TRACKER_URL is refused when visitors get https pages (browsers block it there)', () => {
  assert.throws(() => loadConfig({ P2P_TRACKER_URL: 'ws://tracker.example.com', PUBLIC_URL: 'https://www.example.com' }),
    (err: unknown) => err instanceof ConfigError && /^P2P_TRACKER_URL="ws:\/\/tracker\.example\.com": expected a wss:\/\/ tracker/.test(err.message));
  assert.equal(loadConfig({ P2P_TRACKER_URL: 'wss://tracker.example.com', PUBLIC_URL: 'https://www.example.com' }).trackerUrl, 'wss://tracker.example.com');
  assert.equal(loadConfig({ P2P_TRACKER_URL: 'ws://tracker.example.com', PUBLIC_URL: 'http://www.example.com' }).trackerUrl, 'ws://tracker.example.com');
});
