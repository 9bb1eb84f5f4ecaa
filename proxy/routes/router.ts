import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteContext, RouteHandler, RouteOptions, Routes, UpgradeHandler } from '../../core/feature.js';
import { sendErrorStatus, sendJsonError } from '../../core/http/error-response.js';
import { isAdminAuthorized } from './admin-guard.js';

interface Route {
  methods: ReadonlySet<string>;
  handler: RouteHandler;
  admin: boolean;
}

/**
 * Routes under the reserved prefix. A path ending in `/` matches everything
 * below it (`seed/` matches `seed/<id>`); otherwise the match is exact.
 */
export class P2pRouter implements Routes {
  readonly prefix: string;
  private readonly exact = new Map<string, Route>();
  private readonly below = new Map<string, Route>();
  private readonly upgrades = new Map<string, UpgradeHandler>();

  constructor(prefix: string, private readonly adminToken: string | undefined) {
    this.prefix = prefix;
  }

  route(path: string, handler: RouteHandler, options: RouteOptions = {}): this {
    const route: Route = {
      methods: new Set(options.methods ?? ['GET', 'HEAD']),
      handler,
      admin: options.admin ?? false,
    };
    if (path.endsWith('/')) this.below.set(path, route);
    else this.exact.set(path, route);
    return this;
  }

  upgrade(path: string, handler: UpgradeHandler): this {
    this.upgrades.set(path, handler);
    return this;
  }

  /** The subpath under the prefix, or undefined when the URL is not ours. */
  match(pathname: string): string | undefined {
    if (pathname === this.prefix) return '';
    return pathname.startsWith(this.prefix + '/') ? pathname.slice(this.prefix.length + 1) : undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
    const route = this.find(ctx.subpath);
    if (!route) return sendJsonError(res, 'PC_ERR_NOT_FOUND');
    if (!route.methods.has(req.method ?? 'GET')) {
      return sendErrorStatus(res, 'PC_ERR_METHOD_NOT_ALLOWED', { allow: [...route.methods].join(', ') });
    }
    if (route.admin && !isAdminAuthorized(req, ctx.url, this.adminToken)) {
      return sendJsonError(res, 'PC_ERR_UNAUTHORIZED', undefined, { headers: { 'www-authenticate': 'Bearer realm="peerconnect"' } });
    }
    await route.handler(req, res, ctx);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RouteContext): boolean {
    const handler = this.upgrades.get(ctx.subpath);
    if (!handler) return false;
    handler(req, socket, head, ctx);
    return true;
  }

  private find(subpath: string): Route | undefined {
    const exact = this.exact.get(subpath);
    if (exact) return exact;
    for (const [path, route] of this.below) {
      if (subpath.startsWith(path) && subpath.length > path.length) return route;
    }
    return undefined;
  }
}
