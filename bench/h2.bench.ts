// HTTP/2 against HTTP/1.1 over HTTPS: the demo gallery (22 images) in real Chromium,
// PeerConnect serving TLS from files (a throwaway openssl CA, trusted by its SPKI
// pin). One Chromium speaks h2, a second runs with --disable-http2 (HTTP/1.1, six
// connections per host); each load is a fresh visitor (empty cache, new
// connections), the two alternate, and each figure is the median of the loads.
// Peer delivery is off (P2P_THRESHOLD very high): every image comes over HTTPS.
//
// ON LOOPBACK: no network latency, so this measures the protocol's cost on this
// machine (framing, HPACK, TLS records, connection set-up), not what h2 saves on a
// real network's round trips.
//
//   node --import tsx bench/h2.bench.ts [--loads 10]
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig } from '../core/config/load-config.js';
import { createLogger } from '../core/logger.js';
import { startApp } from '../proxy/app.js';
import { CHROMIUM_PATH, chromiumArgs } from '../test/helpers/browser.js';

const { values } = parseArgs({ options: { loads: { type: 'string' } } });
const LOADS = Number(values.loads ?? 10);
const LOAD_TIMEOUT_MS = 30_000;
/** Tall enough that the lazy gallery images load too: all 22 count. */
const VIEWPORT = { width: 1200, height: 3000 };

interface LoadFigures {
  loadMs: number;
  lcpMs: number;
  images: number;
  protocols: string[];
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A CA and a localhost leaf made with openssl; Chromium trusts the leaf by its SPKI hash. */
function makeCertificate(dir: string): { certFile: string; keyFile: string; spki: string } {
  const certFile = join(dir, 'leaf.pem');
  const keyFile = join(dir, 'leaf.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
  const spkiDer = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  return { certFile, keyFile, spki: createHash('sha256').update(spkiDer).digest('base64') };
}

async function loadOnce(browser: Browser, url: string): Promise<LoadFigures> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    await page.addInitScript(() => {
      (globalThis as unknown as { __lcp: number }).__lcp = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) (globalThis as unknown as { __lcp: number }).__lcp = entry.startTime;
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    });
    await page.goto(url, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    // Lazy gallery images may start after the load event: count them once the network is quiet.
    await page.waitForLoadState('networkidle', { timeout: LOAD_TIMEOUT_MS });
    return await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const images = performance.getEntriesByType('resource').filter((e) => /\/images\//.test(e.name)) as PerformanceResourceTiming[];
      return {
        loadMs: nav.loadEventStart,
        lcpMs: (globalThis as unknown as { __lcp: number }).__lcp,
        images: new Set(images.map((e) => e.name)).size,
        protocols: [...new Set([nav.nextHopProtocol, ...images.map((e) => e.nextHopProtocol)])],
      };
    });
  } finally {
    await context.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pc-bench-h2-'));
const { certFile, keyFile, spki } = makeCertificate(dir);
const config = loadConfig({
  PORT: '0', HOST: '127.0.0.1', HTTP_PORT: 'off', LOG_LEVEL: 'silent', SEEDER_MODE: 'off',
  TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, P2P_THRESHOLD: '1000000', STUN_PORT: 'off',
});
const app = await startApp(config, createLogger(config.logLevel));
const url = `https://localhost:${app.url.port}/`;
const launch = (extra: string[]) => chromium.launch({
  executablePath: CHROMIUM_PATH, timeout: LOAD_TIMEOUT_MS,
  args: [...chromiumArgs(), `--ignore-certificate-errors-spki-list=${spki}`, ...extra],
});
const browsers = { h2: await launch([]), 'http/1.1': await launch(['--disable-http2']) };
const results: Record<keyof typeof browsers, LoadFigures[]> = { h2: [], 'http/1.1': [] };

try {
  // One unmeasured load each warms Chromium and the proxy's origin connections.
  for (const browser of Object.values(browsers)) await loadOnce(browser, url);
  for (let i = 0; i < LOADS; i++) {
    for (const [name, browser] of Object.entries(browsers) as [keyof typeof browsers, Browser][]) {
      results[name].push(await loadOnce(browser, url));
    }
  }
  console.log(`HTTPS gallery on loopback, ${LOADS} fresh-visitor loads per protocol (medians):`);
  const summary: Record<string, { loadMs: number; lcpMs: number }> = {};
  for (const [name, loads] of Object.entries(results)) {
    summary[name] = { loadMs: median(loads.map((l) => l.loadMs)), lcpMs: median(loads.map((l) => l.lcpMs)) };
    const protocols = [...new Set(loads.flatMap((l) => l.protocols))].join(',');
    console.log(`  ${name.padEnd(8)} load ${summary[name].loadMs.toFixed(1)} ms  LCP ${summary[name].lcpMs.toFixed(1)} ms  distinct images ${median(loads.map((l) => l.images))}  protocols seen: ${protocols}`);
  }
  const h2 = summary.h2 as { loadMs: number; lcpMs: number };
  const h1 = summary['http/1.1'] as { loadMs: number; lcpMs: number };
  console.log(`  ratio h2 / http/1.1: load ${(h2.loadMs / h1.loadMs).toFixed(2)}, LCP ${(h2.lcpMs / h1.lcpMs).toFixed(2)} (below 1: HTTP/2 faster)`);
} finally {
  for (const browser of Object.values(browsers)) await browser.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
