import { sendJsonError } from '../../core/http/error-response.js';
import type { P2pRouter } from '../routes/router.js';
import { dashboardPage, type DashboardPage } from './dashboard-page.js';

/** `GET <prefix>/dashboard` (admin): the static live page; it polls `<prefix>/stats`. */
export function registerDashboardRoute(router: P2pRouter): void {
  router.route('dashboard', async (req, res) => {
    let page: DashboardPage;
    try {
      page = await dashboardPage();
    } catch (err) {
      // Admin-only route: the operator is the one who can fix the build, so say what broke.
      return sendJsonError(res, 'PC_ERR_INTERNAL', `dashboard script unavailable: ${err instanceof Error ? err.message : String(err)}`);
    }
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
