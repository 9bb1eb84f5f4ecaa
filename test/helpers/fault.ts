import type { BrowserContext } from 'playwright-core';
import type { ClientConfig } from '../../protocol/client-config.js';

export type ClientFault = NonNullable<ClientConfig['fault']>;

/**
 * Runs in the page before its scripts: puts a test-build `fault` flag into the
 * config block before the deferred client reads it (only the client's test build
 * obeys it: `startProxy(env, { clientTestHooks: true })`). An init script rather
 * than request routing: a routed document loses its loopback address space and
 * Chromium then blocks its WebSocket to the proxy (local network access checks).
 * Self-contained, so Playwright and Puppeteer can both serialise it.
 */
export function faultScript(flag: string): void {
  const observer = new MutationObserver(() => {
    const el = document.getElementById('__p2p-config');
    if (!el?.textContent) return;
    try {
      const config = JSON.parse(el.textContent) as Record<string, unknown>;
      config.fault = flag;
      el.textContent = JSON.stringify(config);
      observer.disconnect();
    } catch {
      // text not complete yet: the next mutation brings the rest
    }
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
}

/** Test-build misbehaviour for every page of one Chromium visitor. */
export async function injectFault(context: BrowserContext, fault: ClientFault): Promise<void> {
  await context.addInitScript(faultScript, fault);
}
