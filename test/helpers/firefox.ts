import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { debugSwitchScript } from './browser.js';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

const LAUNCH_TIMEOUT_MS = 30_000;
/** Upper bound for one navigation to reach `load`. */
export const FIREFOX_NAVIGATION_TIMEOUT_MS = 20_000;

/**
 * Prefs every test Firefox gets. Host candidates carry real addresses (Firefox
 * otherwise offers `<uuid>.local` names, and a test could pass by accident on
 * the prflx candidate Chromium's real address gives it); everything that would
 * try to reach outside hosts is off.
 */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'network.dns.disableIPv6': true,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'app.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'extensions.update.enabled': false,
  'browser.aboutHomeSnapshot.enabled': false,
  // Service Workers on plain http://127.0.0.1 (a secure context) in automation.
  'dom.serviceWorkers.enabled': true,
  'dom.serviceWorkers.testing.enabled': true,
};

/**
 * One headless Debian Firefox ESR driven over WebDriver BiDi (puppeteer-core;
 * no browser download). Share it across a file's tests: contexts are cheap.
 */
export async function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    protocol: 'webDriverBiDi',
    extraPrefsFirefox: FIREFOX_PREFS,
    timeout: LAUNCH_TIMEOUT_MS,
    env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' },
  });
}

export interface FirefoxVisitor {
  context: BrowserContext;
  page: Page;
  /** User agent marker, so the origin's access log tells visitors apart. */
  agent: string;
}

/**
 * A fresh visitor (its own cookies, storage and cache) on `url`, with its user
 * agent tagged like test/helpers/p2p-page.ts tags Chromium visitors.
 */
export async function visitFirefox(browser: Browser, url: string, agent: string, prepare?: (page: Page) => Promise<void>): Promise<FirefoxVisitor> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setUserAgent(`Mozilla/5.0 PeerConnectTest ${agent} Firefox`);
  await page.setViewport({ width: 1200, height: 900 });
  await page.evaluateOnNewDocument(debugSwitchScript);
  await prepare?.(page);
  await page.goto(url, { waitUntil: 'load', timeout: FIREFOX_NAVIGATION_TIMEOUT_MS });
  return { context, page, agent };
}
