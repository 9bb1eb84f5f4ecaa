// Browser client entry point (bundled to <prefix>/client.<hash>.js).
//
// P2P is an optimisation: whatever happens here, every tagged element ends up
// with its original URL unless verified bytes from a peer were painted.
import { ATTR } from '../protocol/client-config.js';
import { readConfig } from './config/read-config.js';
import { optOutReason } from './config/opt-out.js';
import { missingFeature } from './config/features.js';
import { releaseToHttp } from './dom/media-elements.js';
import { createDebugSurface, type DebugSurface } from './report/reporter.js';
import { debugSurfaceOn, publicSurface } from './report/public-surface.js';
import { PeerConnectClient } from './peerconnect-client.js';
import { enableMarks, mark } from './utils/marks.js';

declare global {
  /**
   * Whether the client obeys `ClientConfig.fault` (fault injection for tests).
   * esbuild replaces it with a constant in every bundle — false in production
   * (client/bundle-options.json), true in the test build (`testHooks` in
   * proxy/routes/client-bundle.ts) — so minification drops the guarded code.
   * Unbundled sources (unit tests) see undefined and keep the hooks. Guard each
   * fault inline with `!== false`: a helper outside the guard would still ship.
   */
  var __PEERCONNECT_TEST_HOOKS__: boolean | undefined;
  interface Window {
    /**
     * Debugging surface; see client/README.md. Typed as the whole surface (what
     * tests read with the debug switch on); without it, `peerId`, `banned`, `held`
     * and each asset's `peer` are absent (public-surface.ts).
     */
    __peerconnect?: DebugSurface;
    /** Set before the client runs to record its timeline marks (client/utils/marks.ts). */
    __peerconnectMarks?: boolean;
  }
}

function releaseAll(doc: Document): void {
  for (const el of doc.querySelectorAll(`[${ATTR.tag}]`)) {
    try {
      releaseToHttp(el);
    } catch {
      // keep releasing the others
    }
  }
}

function boot(win: Window): void {
  enableMarks(win.__peerconnectMarks === true);
  mark('boot');
  const surface = createDebugSurface();
  win.__peerconnect = debugSurfaceOn(win) ? surface : publicSurface(surface) as unknown as DebugSurface;
  let client: PeerConnectClient | undefined;
  const fail = (err: unknown): void => {
    surface.state = 'failed';
    surface.reason = err instanceof Error ? err.message : String(err);
    try {
      client?.close();
    } catch {
      // the page matters more than a clean shutdown
    }
    releaseAll(win.document);
  };
  try {
    const config = readConfig(win.document);
    if (!config) {
      surface.state = 'off';
      surface.reason = 'no-config';
      releaseAll(win.document);
      return;
    }
    if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false && config.fault === 'throw-at-start') throw new Error('fault: throw-at-start');
    const optOut = optOutReason(win) ?? missingFeature(win);
    if (optOut) {
      surface.state = 'off';
      surface.reason = optOut;
      releaseAll(win.document);
      return;
    }
    client = new PeerConnectClient(win, config, surface);
    client.start().catch(fail);
  } catch (err) {
    fail(err);
  }
}

if (typeof window !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => boot(window), { once: true });
  else boot(window);
  // The client closes on every pagehide (signaling and peer links must not stay
  // open in the back/forward cache, and Chromium refuses to cache pages holding
  // them). A page restored from that cache starts a fresh client: new peer id,
  // holdings re-verified from the Cache API and announced again.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) boot(window);
  });
}
