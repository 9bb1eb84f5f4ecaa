import { sendJsonError } from '../../core/http/error-response.js';
import type { Routes } from '../../core/feature.js';
import { sendJson } from '../server.js';
import type { EdgeCache } from './edge-cache.js';

/** Longest purge target accepted (a URL or path prefix). */
const MAX_TARGET_CHARS = 2048;

/**
 * `POST <prefix>/purge?url=<path or URL>` or `?prefix=<path prefix>` (admin):
 * forgets stored responses, e.g. after the origin replaced an image in place.
 * Only registered when ADMIN_TOKEN is set: without one, anyone could empty the cache.
 */
export function registerPurgeRoute(routes: Routes, cache: EdgeCache): void {
  routes.route('purge', (_req, res, ctx) => {
    const url = ctx.url.searchParams.get('url') ?? undefined;
    const prefix = ctx.url.searchParams.get('prefix') ?? undefined;
    const tooLong = (url?.length ?? 0) > MAX_TARGET_CHARS || (prefix?.length ?? 0) > MAX_TARGET_CHARS;
    if ((url === undefined && prefix === undefined) || tooLong || prefix === '') {
      return sendJsonError(res, 'PC_ERR_BAD_REQUEST', 'expected ?url=<path or URL> or ?prefix=<path prefix> (at most 2048 characters)');
    }
    const purged = cache.purge({ ...(url !== undefined ? { url } : {}), ...(prefix !== undefined ? { prefix } : {}) });
    sendJson(res, 200, { purged });
  }, { admin: true, methods: ['POST'] });
}
