/** Waiting for our worker to install, activate and claim the page. */
export const SW_CONTROL_TIMEOUT_MS = 8_000;

/**
 * WebTorrent streams into `<video>` through a Service Worker, which must control
 * the page, hence scope `/` (the proxy serves the script with
 * `Service-Worker-Allowed: /`). A site's own worker always wins: if the page is
 * controlled by, or registered to, another script we return undefined and the
 * element plays its original URL.
 */
export async function ensureStreamingWorker(win: Window, scriptPath: string): Promise<ServiceWorkerRegistration | undefined> {
  const container = win.navigator.serviceWorker;
  if (!container || !win.isSecureContext) return undefined;
  const ours = new URL(scriptPath, win.location.href).href;
  if (container.controller && container.controller.scriptURL !== ours) return undefined;
  const existing = await container.getRegistration();
  const worker = existing?.active ?? existing?.waiting ?? existing?.installing;
  if (worker && worker.scriptURL !== ours) return undefined;
  const registration = existing ?? (await container.register(ours, { scope: '/' }));
  if (!container.controller) {
    const claimed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), SW_CONTROL_TIMEOUT_MS);
      container.addEventListener('controllerchange', () => {
        clearTimeout(timer);
        resolve(true);
      }, { once: true });
    });
    const controller = container.controller as ServiceWorker | null;
    if (!claimed || controller?.scriptURL !== ours) return undefined;
  }
  return registration;
}
