import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, launchBrowser } from '../helpers/browser.js';

export interface NamespacedBrowserOptions {
  /**
   * Offer host candidates as mDNS `.local` names, as real visitors do. Keep it for
   * peers in different homes; turn it off only where a test needs host candidates
   * between hosts of one LAN. @default true
   */
  mdnsHostCandidates?: boolean;
}

/**
 * One headless Chromium whose whole process tree lives in network namespace `ns` (a
 * home host): Playwright starts a small script that enters the namespace and execs
 * Chromium, still talking to it over the inherited pipe. Closing the browser removes
 * the script; if the test process dies, setpriv's --pdeathsig takes Chromium with it.
 */
export async function launchBrowserIn(ns: string, options: NamespacedBrowserOptions = {}): Promise<Browser> {
  const dir = await mkdtemp(join(tmpdir(), 'chromium-netns-'));
  const launcher = join(dir, 'chromium');
  await writeFile(launcher, `#!/bin/sh\nexec ip netns exec '${ns}' setpriv --pdeathsig KILL -- '${CHROMIUM_PATH}' "$@"\n`);
  await chmod(launcher, 0o755);
  try {
    const browser = await launchBrowser({ executablePath: launcher, mdnsHostCandidates: options.mdnsHostCandidates ?? true });
    browser.once('disconnected', () => void rm(dir, { recursive: true, force: true }));
    return browser;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
