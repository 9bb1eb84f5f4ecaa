import type WebTorrent from 'webtorrent';
import type { Torrent } from 'webtorrent';

/** Adds `torrentFile` to `leech` and resolves once it is complete; `detail()` goes into the timeout error (e.g. a seeder's log). */
export function downloadTorrent(leech: WebTorrent, torrentFile: Buffer, path: string, ms: number, detail: () => string = () => ''): Promise<Torrent> {
  return new Promise<Torrent>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`download not done within ${ms} ms${detail()}`)), ms);
    const added = leech.add(torrentFile, { path });
    added.once('error', (err: unknown) => {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
    added.once('done', () => {
      clearTimeout(timer);
      resolve(added);
    });
  });
}
