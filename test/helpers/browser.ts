import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium keeps only the last --disable-features flag and Playwright passes its
 * own first, so this repeats Playwright's list and adds WebRtcHideLocalIpsWithMdns
 * (otherwise host candidates are mDNS names and multicast leaves the machine).
 */
const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect', 'OptimizationHints',
  'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch', 'WebRtcHideLocalIpsWithMdns',
];

export const CHROMIUM_ARGS = [
  `--disable-features=${DISABLED_FEATURES.join(',')}`,
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

const LAUNCH_TIMEOUT_MS = 30_000;

/** One headless Debian Chromium; share it across the tests of a file (contexts are cheap). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
  });
}

/** A fresh visitor: its own cookies, storage and cache. */
export async function newVisitor(browser: Browser, extraHeaders?: Record<string, string>): Promise<BrowserContext> {
  return browser.newContext({ extraHTTPHeaders: extraHeaders, viewport: { width: 1200, height: 900 } });
}
