import type { IncomingMessage } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';

/**
 * Admin routes (metrics, stats, dashboard) need `Authorization: Bearer <ADMIN_TOKEN>`
 * (or `?token=` for the dashboard page) when a token is configured.
 */
export function isAdminAuthorized(req: IncomingMessage, url: URL, adminToken: string | undefined): boolean {
  if (adminToken === undefined) return true;
  const header = req.headers.authorization ?? '';
  // The auth scheme name is case-insensitive (RFC 9110 §11.1).
  const presented = /^bearer /i.test(header) ? header.slice(7).trim() : url.searchParams.get('token') ?? '';
  // Compare digests so the comparison takes the same time whatever the length.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(adminToken).digest();
  return timingSafeEqual(a, b);
}
