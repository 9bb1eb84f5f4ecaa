import type { HolderCounts, Routes } from '../../core/feature.js';
import { sendJsonError } from '../../core/http/error-response.js';
import type { MediaIndex } from '../index/media-index.js';
import type { TorrentStore } from '../torrent/torrent-store.js';
import { manifestBudget, serveManifest } from './manifest-route.js';
import { serveWebseed } from './webseed-route.js';

export interface SeederRouteDeps {
  index: MediaIndex;
  torrents: TorrentStore;
  /** Browser holders online per asset (signaling's registry; absent in the external seeder). */
  holders?: HolderCounts;
  onWebseedBytes?: (bytes: number) => void;
}

const TORRENT_FILE = /^torrents\/([0-9a-f]{40})\.torrent$/;

/** Registers manifest, webseed and torrent routes under the reserved prefix. */
export function registerSeederRoutes(router: Routes, deps: SeederRouteDeps): void {
  const manifestDeps = { ...deps, budget: manifestBudget() };
  router.route('manifest', (req, res, ctx) => serveManifest(req, res, ctx.url, ctx.publicBase, manifestDeps, ctx.clientAddress));
  router.route('seed/', (req, res, ctx) => serveWebseed(req, res, ctx.subpath.slice('seed/'.length), {
    index: deps.index, onBytes: deps.onWebseedBytes,
  }));
  router.route('torrents/', async (req, res, ctx) => {
    const match = TORRENT_FILE.exec(ctx.subpath);
    const torrent = match ? await deps.torrents.forBase(match[1]!, ctx.publicBase) : undefined;
    if (!torrent) return sendJsonError(res, 'PC_ERR_NOT_FOUND');
    res.writeHead(200, {
      'content-type': 'application/x-bittorrent',
      'content-length': torrent.length,
      // The info hash names the content: the file never changes under this name.
      'cache-control': 'public, max-age=3600',
      'access-control-allow-origin': '*',
    });
    res.end(req.method === 'HEAD' ? undefined : torrent);
  });
}
