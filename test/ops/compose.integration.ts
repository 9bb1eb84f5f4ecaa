import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { OPTIONS } from '../../core/config/options.js';
import { chromium } from 'playwright-core';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_PATH, chromiumArgs, newVisitor } from '../helpers/browser.js';
import { TestCa } from '../proxy/test-ca.js';
import { freePort, startNginx } from '../helpers/nginx.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';
import { readTsconfig } from '../helpers/tsconfig.js';
import { startRedis } from '../helpers/redis.js';
import { Agent, request } from 'undici';
import WebSocket from 'ws';

/**
 * No Docker engine runs here, so this proves docker-compose.yml another way: its
 * shape and every env name are checked against the option schema, then the same
 * topology runs natively — the real nginx with the same site and server block,
 * the proxy and the external seeder as processes with exactly the compose
 * environment (service hostnames mapped to loopback, ports to free ones, the
 * ./certs volume to a directory with a test CA's certificate; nothing added) —
 * and Chromium visits the site through it over HTTPS.
 */

const COMPOSE = 'docker-compose.yml';
const EXAMPLE_COMPOSE = 'examples/existing-site/docker-compose.yml';
/** What an operator's .env holds: the seeder secret, nothing else (ADMIN_TOKEN stays unset). */
const SEEDER_TOKEN = 'compose-test-seeder-token-0123456789';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const VISIT_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
/** Env names in compose that are not options: set by the image, read by Node. */
const NON_OPTION_ENV = new Set(['NODE_ENV', 'PEERCONNECT_CONFIG']);
const OPTION_ENVS = new Set(Object.values(OPTIONS).map((spec) => spec.env));

interface ComposeService {
  image?: string;
  build?: string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  command?: string[];
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  profiles?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { disable?: boolean };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

function loadCompose(path: string): ComposeFile {
  const doc = parseDocument(readFileSync(path, 'utf8'), { merge: true });
  assert.deepEqual(doc.errors, [], `${path} is valid YAML`);
  return doc.toJS({ maxAliasCount: 100 }) as ComposeFile;
}

/** Compose variable interpolation: `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `$$`. */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (match, name: string | undefined, colon: string, op: string, arg: string) => {
    if (match === '$$') return '$';
    const current = env[name as string];
    const missing = colon ? current === undefined || current === '' : current === undefined;
    if (op === '?' && missing) throw new Error(`${name}: ${arg}`);
    if (op === '-' && missing) return arg;
    return current ?? '';
  });
}

function environmentOf(service: ComposeService, shellEnv: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(service.environment ?? {})) out[name] = interpolate(String(value), shellEnv);
  return out;
}

/** Compose service hostnames → loopback with the ports the native processes got. */
function mapHosts(env: Record<string, string>, ports: Record<string, Record<string, number>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    out[name] = value.replace(/\b(https?|redis):\/\/([a-z][a-z0-9-]*):(\d+)/g, (match, scheme: string, host: string, port: string) => {
      const mapped = ports[host]?.[port];
      return mapped === undefined ? match : `${scheme}://127.0.0.1:${mapped}`;
    });
  }
  return out;
}

/** The comment block above each env key of the shared anchor: every key must be documented. */
function undocumentedKeys(text: string, anchor: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`${anchor}:`));
  assert.ok(start >= 0, `anchor ${anchor} present`);
  const missing: string[] = [];
  let commented = false;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const trimmed = line.trim();
    if (trimmed === '') commented = false;
    else if (trimmed.startsWith('#')) commented = true;
    else {
      const key = /^([A-Z0-9_]+):/.exec(trimmed)?.[1];
      if (key && !commented) missing.push(key);
    }
  }
  return missing;
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

function startProcess(script: string, env: Record<string, string>): Proc {
  // Exactly the compose environment, plus PATH and the image's NODE_ENV (Dockerfile ENV).
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    if (output.length < 1_000_000) output += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopping: Promise<number | null> | undefined;
  return {
    child,
    output: () => output,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        timer.unref();
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, proc?: Proc): Promise<T> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: process exited ${proc.child.exitCode}\n${proc.output().slice(-3000)}`);
    const value = await Promise.resolve().then(probe).catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`timed out waiting for ${what}\n${proc?.output().slice(-3000) ?? ''}`);
}

test('docker-compose.yml: services, ports, images and volumes are what the topology needs', () => {
  const compose = loadCompose(COMPOSE);
  assert.deepEqual(Object.keys(compose.services).sort(), ['balancer', 'coturn', 'origin', 'peerconnect', 'peerconnect-2', 'redis', 'seeder']);
  const { origin, peerconnect, seeder, redis, coturn } = compose.services as Record<string, ComposeService>;
  assert.match(origin?.image ?? '', /^nginx:/);
  for (const volume of origin?.volumes ?? []) {
    const host = volume.split(':')[0] as string;
    assert.ok(existsSync(host), `origin volume ${host} exists`);
  }
  assert.ok(origin?.volumes?.some((v) => v.endsWith(':/etc/nginx/conf.d/default.conf:ro')), 'origin uses the example server block');
  assert.equal(peerconnect?.build, '.');
  assert.deepEqual(peerconnect?.ports, ['443:8443', '80:8080', '3478:3478/udp']);
  assert.equal(peerconnect?.environment?.ORIGIN, 'http://origin:80');
  assert.equal(peerconnect?.environment?.PORT, '8443');
  assert.equal(peerconnect?.environment?.HTTP_PORT, '8080');
  assert.ok(peerconnect?.volumes?.includes('./certs:/certs:ro'), 'certificates are mounted');
  assert.equal(peerconnect?.environment?.SEEDER_MODE, 'external');
  assert.equal(seeder?.image, peerconnect?.image, 'the seeder runs the same image');
  assert.deepEqual(seeder?.entrypoint, ['node', 'dist/seeder/cli.js']);
  assert.ok(existsSync('seeder/cli.ts'), 'the seeder entry point exists in the source tree');
  assert.equal(seeder?.environment?.PROXY_URL, `http://peerconnect:${peerconnect?.environment?.INTERNAL_PORT}`, 'the seeder joins the internal plain-HTTP listener');
  assert.equal(seeder?.environment?.SEEDER_MODE, 'external');
  assert.deepEqual(redis?.profiles, ['redis'], 'redis only runs under its profile');
  // coturn checks the credentials the proxy mints: same secret, TURN REST scheme.
  assert.deepEqual(coturn?.profiles, ['turn'], 'coturn only runs under its profile');
  assert.match(coturn?.image ?? '', /^coturn\/coturn:/);
  const shell = { TURN_SECRET: 'compose-turn-secret', TURN_URLS: 'turn:turn.example.com:3478?transport=udp', SEEDER_TOKEN };
  const coturnArgs = (coturn?.command ?? []).map((arg) => interpolate(arg, shell));
  assert.ok(coturnArgs.includes('--use-auth-secret'));
  assert.ok(coturnArgs.includes('--static-auth-secret=compose-turn-secret'));
  const proxyEnv = environmentOf(peerconnect as ComposeService, shell);
  assert.equal(proxyEnv.TURN_SECRET, 'compose-turn-secret');
  assert.equal(proxyEnv.TURN_URLS, shell.TURN_URLS);
  assert.ok(peerconnect?.ports?.includes('3478:3478/udp'), 'the built-in STUN port is published');
  // The seeder gets TURN credentials in its welcome; it is never handed the secret.
  const seederEnv = environmentOf(seeder as ComposeService, { ...shell, SEEDER_TOKEN });
  assert.equal(seederEnv.TURN_SECRET, '');
  assert.equal(seederEnv.TURN_URLS, '');
});

test('docker-compose.yml: the redis profile is two instances sharing Redis behind nginx (round robin, WebSocket upgrades)', () => {
  const { peerconnect, 'peerconnect-2': second, balancer, redis } = loadCompose(COMPOSE).services as Record<string, ComposeService>;
  for (const service of [second, balancer, redis]) assert.deepEqual(service?.profiles, ['redis'], 'only under the redis profile');
  assert.equal(second?.image, peerconnect?.image, 'the second instance runs the same image');
  assert.equal(second?.ports, undefined, 'the second instance publishes nothing: visitors go through the balancer');
  const shell = { SEEDER_TOKEN, REDIS_URL: 'redis://redis:6379' };
  const firstEnv = environmentOf(peerconnect as ComposeService, shell);
  const secondEnv = environmentOf(second as ComposeService, shell);
  assert.equal(secondEnv.REDIS_URL, 'redis://redis:6379');
  assert.equal(firstEnv.REDIS_URL, secondEnv.REDIS_URL, 'with REDIS_URL from .env both instances share one Redis');
  assert.equal(environmentOf(second as ComposeService, { SEEDER_TOKEN }).TRUST_PROXY, '172.16.0.0/12', 'the second instance trusts the compose network by default');
  // Apart from Redis and trust, the two instances are configured alike.
  for (const [name, value] of Object.entries(firstEnv)) {
    if (name !== 'REDIS_URL' && name !== 'TRUST_PROXY') assert.equal(secondEnv[name], value, name);
  }
  assert.match(balancer?.image ?? '', /^nginx:/);
  assert.deepEqual(balancer?.ports, ['8443:443']);
  const confVolume = balancer?.volumes?.find((v) => v.endsWith(':/etc/nginx/conf.d/default.conf:ro'));
  assert.ok(confVolume && existsSync(confVolume.split(':')[0] as string), 'the balancer config exists');
  assert.ok(balancer?.volumes?.includes('./certs:/certs:ro'));
  const conf = readFileSync(confVolume.split(':')[0] as string, 'utf8');
  const internal = peerconnect?.environment?.INTERNAL_PORT;
  assert.match(conf, new RegExp(`upstream \\w+ \\{[^}]*server peerconnect:${internal};[^}]*server peerconnect-2:${internal};`), 'both instances, round robin');
  assert.doesNotMatch(conf, /ip_hash|hash \$|sticky/, 'no stickiness');
  assert.match(conf, /proxy_set_header Upgrade \$http_upgrade;/);
  assert.match(conf, /proxy_set_header Connection "upgrade";/);
});

test('docker-compose.yml: the seeder secret is required and shared; no ADMIN_TOKEN needed', () => {
  const { peerconnect, seeder } = loadCompose(COMPOSE).services as Record<string, ComposeService>;
  // Without SEEDER_TOKEN in .env, compose stops before starting anything (not a seeder refused forever).
  assert.throws(() => environmentOf(peerconnect as ComposeService, {}), /SEEDER_TOKEN: set SEEDER_TOKEN/);
  assert.throws(() => environmentOf(seeder as ComposeService, {}), /SEEDER_TOKEN/);
  const proxyEnv = environmentOf(peerconnect as ComposeService, { SEEDER_TOKEN });
  const seederEnv = environmentOf(seeder as ComposeService, { SEEDER_TOKEN });
  assert.equal(proxyEnv.SEEDER_TOKEN, SEEDER_TOKEN);
  assert.equal(seederEnv.SEEDER_TOKEN, SEEDER_TOKEN);
  assert.equal(proxyEnv.ADMIN_TOKEN, '', 'the topology does not lean on ADMIN_TOKEN');
  // ACME instead of files: set-but-empty TLS_* in .env turn the files off.
  assert.equal(environmentOf(peerconnect as ComposeService, { SEEDER_TOKEN, TLS_CERT_FILE: '', TLS_KEY_FILE: '' }).TLS_CERT_FILE, '');
  assert.equal(proxyEnv.TLS_CERT_FILE, '/certs/fullchain.pem');
});

test('docker-compose.yml: every env name is an option, every option is listed and commented', () => {
  const text = readFileSync(COMPOSE, 'utf8');
  const compose = loadCompose(COMPOSE);
  for (const [name, service] of Object.entries(compose.services)) {
    // Not PeerConnect: their own images and settings (coturn's are command-line flags).
    if (name === 'origin' || name === 'redis' || name === 'coturn' || name === 'balancer') continue;
    for (const env of Object.keys(service.environment ?? {})) {
      assert.ok(OPTION_ENVS.has(env) || NON_OPTION_ENV.has(env), `${name}: ${env} is not an option in core/config/options.ts`);
    }
  }
  const listed = new Set(Object.keys(compose.services.peerconnect?.environment ?? {}));
  const missing = [...OPTION_ENVS].filter((env) => !listed.has(env));
  assert.deepEqual(missing, [], 'options missing from compose');
  assert.deepEqual(undocumentedKeys(text, 'x-peerconnect-env'), [], 'env keys without a comment');
  // Every P2P_* option is there by name in the file itself, not only through an alias.
  for (const env of OPTION_ENVS) assert.match(text, new RegExp(`^  ${env}:`, 'm'), env);

  const example = loadCompose(EXAMPLE_COMPOSE);
  const exampleEnv = example.services.peerconnect?.environment ?? {};
  for (const env of Object.keys(exampleEnv)) assert.ok(OPTION_ENVS.has(env), `${EXAMPLE_COMPOSE}: ${env}`);
  assert.throws(() => environmentOf(example.services.peerconnect as ComposeService, {}), /ORIGIN/, 'the example insists on ORIGIN');
  assert.equal(environmentOf(example.services.peerconnect as ComposeService, { ORIGIN: 'http://site:3000' }).ORIGIN, 'http://site:3000');
});

test('Dockerfile: multi-stage, production deps only, non-root, healthz check, node handles SIGTERM', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  const stages = text.match(/^FROM /gm) ?? [];
  assert.ok(stages.length >= 2, 'multi-stage');
  assert.match(text, /npm ci --omit=dev/);
  assert.match(text, /^USER node$/m);
  assert.match(text, /^HEALTHCHECK .*\n?.*\/healthz/m);
  assert.match(text, /^ENTRYPOINT \["node", "dist\/proxy\/cli\.js"\]$/m);
  assert.match(readFileSync('proxy/cli.ts', 'utf8'), /process\.once\('SIGTERM'/);
  // Every source folder the build compiles is copied into the build stage.
  // The server build compiles one set of folders; the browser bundle reads another.
  const folders = [...readTsconfig('tsconfig.build.json').include, ...readTsconfig('tsconfig.browser.json').include];
  for (const pattern of folders) {
    const folder = pattern.split('/')[0] as string;
    assert.match(text, new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'), `COPY ${folder}`);
  }
  const ignore = readFileSync('.dockerignore', 'utf8').split('\n');
  for (const entry of ['node_modules', '.env', '.git']) assert.ok(ignore.includes(entry), `.dockerignore: ${entry}`);
});

/** Runs `body`, then every cleanup it registered, last-in first-out (browser, seeder, proxy, nginx…). */
async function withCleanups(body: (cleanups: (() => Promise<unknown>)[]) => Promise<void>): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await body(cleanups);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

test('the compose topology runs natively: nginx origin, proxy, external seeder, Chromium visit', () => withCleanups(runTopology));

async function runTopology(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  const compose = loadCompose(COMPOSE);
  const services = compose.services as Record<string, ComposeService>;
  const serverBlock = readFileSync('examples/legacy-site/nginx.conf', 'utf8');
  assert.match(serverBlock, /listen 80;/);
  assert.match(serverBlock, /root \/usr\/share\/nginx\/html;/);
  const siteVolume = services.origin?.volumes?.find((v) => v.endsWith(':/usr/share/nginx/html:ro'));
  assert.ok(siteVolume);

  // The same server block; only the listen address and the root differ from the container.
  const nginx = await startNginx({
    root: siteVolume.split(':')[0] as string,
    serverBlock: serverBlock.replace('listen 80;', 'listen 127.0.0.1:{{port}};').replace('root /usr/share/nginx/html;', 'root {{root}};'),
  });
  cleanups.push(() => nginx.stop());
  const [httpsPort, httpPort, internalPort] = [await freePort(), await freePort(), await freePort()];
  const ports = { origin: { '80': Number(nginx.url.port) }, peerconnect: { '8443': httpsPort, '8080': httpPort, '8081': internalPort } };
  const shellEnv = { SEEDER_TOKEN };
  // The ./certs volume: a directory holding what an operator puts there, from a test CA.
  const ca = new TestCa('Compose Test CA');
  cleanups.push(async () => ca.remove());
  const leaf = ca.issue(['localhost', '127.0.0.1']);
  const certsDir = join(ca.dir, 'certs');
  mkdirSync(certsDir);
  copyFileSync(leaf.certFile, join(certsDir, 'fullchain.pem'));
  copyFileSync(leaf.keyFile, join(certsDir, 'privkey.pem'));
  const certsVolume = services.peerconnect?.volumes?.find((v) => v.startsWith('./certs:'));
  assert.ok(certsVolume);
  const containerCerts = certsVolume.split(':')[1] as string;

  const proxyEnv = mapHosts(environmentOf(services.peerconnect as ComposeService, shellEnv), ports);
  for (const [name, value] of Object.entries(proxyEnv)) {
    if (value.startsWith(`${containerCerts}/`)) proxyEnv[name] = certsDir + value.slice(containerCerts.length);
  }
  assert.equal(proxyEnv.TLS_CERT_FILE, join(certsDir, 'fullchain.pem'));
  // Container ports become free ones, as the port mappings would.
  assert.deepEqual([proxyEnv.PORT, proxyEnv.HTTP_PORT, proxyEnv.INTERNAL_PORT], ['8443', '8080', '8081']);
  proxyEnv.PORT = String(httpsPort);
  proxyEnv.HTTP_PORT = String(httpPort);
  proxyEnv.INTERNAL_PORT = String(internalPort);
  // The built-in STUN responder's UDP port, like PORT, becomes any free one.
  assert.equal(proxyEnv.STUN_PORT, '3478');
  proxyEnv.STUN_PORT = '0';
  assert.equal(proxyEnv.ORIGIN, `http://127.0.0.1:${nginx.url.port}`);
  const proxy = startProcess('proxy/cli.ts', proxyEnv);
  cleanups.push(async () => {
    assert.equal(await proxy.stop(), 0, `proxy exits cleanly on SIGTERM\n${proxy.output().slice(-2000)}`);
  });
  // Health checks and the seeder use the internal plain-HTTP listener, as in the compose network.
  const base = `http://127.0.0.1:${internalPort}`;
  const publicBase = `https://127.0.0.1:${httpsPort}`;
  await waitFor('proxy healthz', async () => ((await fetch(`${base}/__p2p/healthz`, { signal: AbortSignal.timeout(2_000) })).ok ? true : undefined), proxy);
  assert.match(proxy.output(), /P2P on: image,video,audio · threshold 3 · signaling \w+[^\n]*· seeder external/);

  const seederEnv = mapHosts(environmentOf(services.seeder as ComposeService, shellEnv), ports);
  assert.equal(seederEnv.PROXY_URL, base);
  const seeder = startProcess('seeder/cli.ts', seederEnv);
  cleanups.push(async () => {
    assert.equal(await seeder.stop(), 0, `seeder exits cleanly on SIGTERM\n${seeder.output().slice(-2000)}`);
  });
  await waitFor('seeder joined', () => (seeder.output().includes('seeder joined the proxy') ? true : undefined), seeder);
  // The proxy sees the external seeder as a registered peer.
  const stats = await waitFor('seeder in stats', async () => {
    const res = await fetch(`${base}/__p2p/stats`, { signal: AbortSignal.timeout(2_000) });
    const body = await res.json() as { sources: { signaling?: { seeders?: number } } };
    return (body.sources.signaling?.seeders ?? 0) >= 1 ? body : undefined;
  }, proxy);
  assert.ok(stats.sources.signaling);
  const ready = await fetch(`${base}/__p2p/readyz`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(ready.status, 200, await ready.text());

  // Port 80's listener sends visitors to HTTPS.
  const redirect = await fetch(`http://127.0.0.1:${httpPort}/gallery.html`, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get('location'), `${publicBase}/gallery.html`);

  // The visitor's Chromium trusts the test certificate's key (as a real one would trust a public CA).
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...chromiumArgs(), `--ignore-certificate-errors-spki-list=${leaf.spki}`] });
  cleanups.push(() => browser.close());
  const context = await newVisitor(browser);
  const page = await context.newPage();
  const response = await page.goto(`${publicBase}/gallery.html`, { timeout: VISIT_TIMEOUT_MS, waitUntil: 'load' });
  assert.equal(response?.status(), 200);
  assert.equal(await page.title(), 'Gallery · Harbour Town Gazette');
  // Every image ends up painted, whether over HTTP or from peers.
  await page.waitForFunction(() => {
    const images = [...document.images];
    return images.length === 5 && images.every((img) => img.complete && img.naturalWidth > 0);
  }, undefined, { timeout: VISIT_TIMEOUT_MS });
  const css = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  assert.match(css, /Georgia/, 'the stylesheet came through');
  // The injected client beacons what it loaded; the proxy's figures move.
  const reported = await waitFor('client report', async () => {
    const res = await fetch(`${base}/__p2p/stats`, { signal: AbortSignal.timeout(2_000) });
    const body = await res.json() as { reports: number; totalBytes: number; bytes: Record<string, number> };
    return body.reports > 0 && body.totalBytes > 0 ? body : undefined;
  }, proxy);
  assert.ok((reported.bytes.server ?? 0) > 0, 'the first visitor loads over HTTP (threshold 3)');
  await context.close();
  const metrics = await (await fetch(`${base}/__p2p/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const families = parsePrometheusText(metrics);
  assert.ok(sampleValue(families, 'peerconnect_media_bytes_total', { source: 'server' }) > 0);
  assert.ok(sampleValue(families, 'peerconnect_bytes_to_clients_total', { kind: 'html' }) > 0);
  assert.ok(sampleValue(families, 'peerconnect_bytes_to_clients_total', { kind: 'media' }) > 0);
  assert.ok(sampleValue(families, 'peerconnect_reports_total', { result: 'accepted' }) > 0);

  // The requests really went through nginx, the site's own server.
  const log = await readFile(nginx.accessLogPath, 'utf8');
  assert.match(log, /"GET \/gallery\.html HTTP\/1\.1" 200/);
  assert.match(log, /"GET \/css\/site\.css HTTP\/1\.1" 200/);
}

test('the redis profile runs natively: Redis, both instances with the compose environment, nginx balancing them with balancer.conf', () => withCleanups(runRedisProfile));

async function runRedisProfile(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  const services = loadCompose(COMPOSE).services as Record<string, ComposeService>;
  const siteVolume = services.origin?.volumes?.find((v) => v.endsWith(':/usr/share/nginx/html:ro'));
  assert.ok(siteVolume);
  const siteRoot = siteVolume.split(':')[0] as string;
  const origin = await startNginx({
    root: siteRoot,
    serverBlock: readFileSync('examples/legacy-site/nginx.conf', 'utf8').replace('listen 80;', 'listen 127.0.0.1:{{port}};').replace('root /usr/share/nginx/html;', 'root {{root}};'),
  });
  cleanups.push(() => origin.stop());
  const redis = await startRedis();
  cleanups.push(() => redis.dispose());
  const ca = new TestCa('Compose Redis Profile CA');
  cleanups.push(async () => ca.remove());
  const leaf = ca.issue(['localhost', '127.0.0.1']);
  const certsDir = join(ca.dir, 'certs');
  mkdirSync(certsDir);
  copyFileSync(leaf.certFile, join(certsDir, 'fullchain.pem'));
  copyFileSync(leaf.keyFile, join(certsDir, 'privkey.pem'));

  // What the profile's command line gives: REDIS_URL for the first instance, TRUST_PROXY naming the balancer (loopback here).
  const shellEnv = { SEEDER_TOKEN, REDIS_URL: 'redis://redis:6379', TRUST_PROXY: '127.0.0.1' };
  const instances: { name: string; internalPort: number; proc: Proc }[] = [];
  for (const name of ['peerconnect', 'peerconnect-2']) {
    const [httpsPort, httpPort, internalPort] = [await freePort(), await freePort(), await freePort()];
    const ports = { origin: { '80': Number(origin.url.port) }, redis: { '6379': redis.port } };
    const env = mapHosts(environmentOf(services[name] as ComposeService, shellEnv), ports);
    for (const [key, value] of Object.entries(env)) {
      if (value.startsWith('/certs/')) env[key] = certsDir + value.slice('/certs'.length);
    }
    assert.equal(env.REDIS_URL, redis.url, `${name} joins the one Redis`);
    Object.assign(env, { PORT: String(httpsPort), HTTP_PORT: String(httpPort), INTERNAL_PORT: String(internalPort), STUN_PORT: '0' });
    const proc = startProcess('proxy/cli.ts', env);
    cleanups.push(async () => {
      assert.equal(await proc.stop(), 0, `${name} exits cleanly on SIGTERM\n${proc.output().slice(-2000)}`);
    });
    instances.push({ name, internalPort, proc });
  }
  for (const { name, internalPort, proc } of instances) {
    await waitFor(`${name} healthz`, async () => ((await fetch(`http://127.0.0.1:${internalPort}/__p2p/healthz`, { signal: AbortSignal.timeout(2_000) })).ok ? true : undefined), proc);
  }

  // The balancer's own file; only the listen address, certificate paths and upstream addresses differ from the container.
  const internal = services.peerconnect?.environment?.INTERNAL_PORT as string;
  const conf = readFileSync('examples/redis/balancer.conf', 'utf8')
    .replace('listen 443 ssl;', 'listen 127.0.0.1:{{port}} ssl;')
    .replaceAll('/certs/', `${certsDir}/`)
    .replace(`server peerconnect:${internal};`, `server 127.0.0.1:${instances[0]!.internalPort};`)
    .replace(`server peerconnect-2:${internal};`, `server 127.0.0.1:${instances[1]!.internalPort};`);
  const balancer = await startNginx({ root: siteRoot, serverBlock: conf });
  cleanups.push(() => balancer.stop());
  const publicBase = `https://127.0.0.1:${balancer.url.port}`;
  const dispatcher = new Agent({ connect: { ca: ca.cert } });
  cleanups.push(() => dispatcher.close());

  // Round robin, no stickiness: consecutive requests reach both instances, each sharing Redis.
  const seen = new Map<string, string>();
  for (let i = 0; i < 4; i++) {
    const res = await request(`${publicBase}/__p2p/readyz`, { dispatcher });
    assert.equal(res.statusCode, 200);
    const body = await res.body.json() as { instance?: string; redis?: string };
    assert.ok(body.instance, 'readyz names the instance');
    seen.set(body.instance, body.redis ?? '');
  }
  assert.equal(seen.size, 2, `both instances answered through the balancer: ${JSON.stringify([...seen])}`);
  assert.deepEqual([...seen.values()], ['up', 'up'], 'both instances have Redis up');

  // Pages are rewritten by whichever instance answers.
  const page = await request(`${publicBase}/gallery.html`, { dispatcher });
  assert.equal(page.statusCode, 200);
  assert.match(await page.body.text(), /id="__p2p-config"/);

  // The signaling WebSocket upgrades through the balancer (Upgrade/Connection passed on).
  const ws = new WebSocket(`wss://127.0.0.1:${balancer.url.port}/__p2p/signal`, { ca: ca.cert });
  cleanups.push(async () => ws.terminate());
  const first = await new Promise<{ type?: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no welcome through the balancer')), VISIT_TIMEOUT_MS);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(JSON.parse(String(data)) as { type?: string });
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  // (nginx logs the 101 only when the socket closes: the welcome is the proof.)
  assert.equal(first.type, 'welcome');
}
