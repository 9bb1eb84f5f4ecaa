import type { P2pRouter } from '../routes/router.js';
import { dashboardPage } from './dashboard-page.js';

/** `GET <prefix>/dashboard` (admin): the static live page; it polls `<prefix>/stats`. */
export function registerDashboardRoute(router: P2pRouter): void {
  router.route('dashboard', (req, res) => {
    const page = dashboardPage();
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(page.html),
      'cache-control': 'no-store',
      'content-security-policy': page.csp,
      // The URL may carry ?token=: never send it on in a Referer.
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    res.end(req.method === 'HEAD' ? undefined : page.html);
  }, { admin: true });
}
