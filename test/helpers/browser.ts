import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium keeps only the last --disable-features flag and Playwright passes its
 * own first, so this repeats Playwright's list and adds WebRtcHideLocalIpsWithMdns
 * (otherwise host candidates are mDNS names and multicast leaves the machine;
 * `mdnsHostCandidates` keeps that behaviour where a test wants it).
 */
const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect', 'OptimizationHints',
  'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch', 'WebRtcHideLocalIpsWithMdns',
];

const COMMON_ARGS = [
  // Keep every lookup on this machine; the EXCLUDE parts keep localhost navigations working.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE 198.18.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
];

export interface ChromiumOptions {
  /**
   * Offer host candidates as mDNS `.local` names, as every real visitor's Chromium
   * does; across NATs only srflx and relay candidates then work. Off, host candidates
   * carry real addresses (needed for peers on one LAN or one test namespace).
   * @default false
   */
  mdnsHostCandidates?: boolean;
  /**
   * Program Playwright starts instead of Chromium, e.g. a script that runs it inside a
   * network namespace (test/net/browser.ts). @default CHROMIUM_PATH
   */
  executablePath?: string;
}

/** The command-line flags every test Chromium gets. */
export function chromiumArgs(options: ChromiumOptions = {}): string[] {
  const features = options.mdnsHostCandidates === true ? DISABLED_FEATURES.filter((feature) => feature !== 'WebRtcHideLocalIpsWithMdns') : DISABLED_FEATURES;
  return [`--disable-features=${features.join(',')}`, ...COMMON_ARGS];
}

export const CHROMIUM_ARGS = chromiumArgs();

const LAUNCH_TIMEOUT_MS = 30_000;

/** One headless Debian Chromium; share it across the tests of a file (contexts are cheap). */
export async function launchBrowser(options: ChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    args: chromiumArgs(options),
    timeout: LAUNCH_TIMEOUT_MS,
  });
}

/**
 * Runs in every page before its scripts: turns on the client's full debugging
 * surface (peer ids and holdings in `window.__peerconnect`), which tests read.
 */
export function debugSwitchScript(): void {
  try {
    localStorage.setItem('peerconnect:debug', '1');
  } catch {
    // about:blank and opaque origins have no storage
  }
}

/** A fresh visitor: its own cookies, storage and cache; the client's debugging surface on. */
export async function newVisitor(browser: Browser, extraHeaders?: Record<string, string>): Promise<BrowserContext> {
  const context = await browser.newContext({ extraHTTPHeaders: extraHeaders, viewport: { width: 1200, height: 900 } });
  await context.addInitScript(debugSwitchScript);
  return context;
}
