import { readdir } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, sep, basename } from 'node:path';
import type { Logger } from 'pino';
import type { MediaIndex } from '../index/media-index.js';

const MEDIA_EXTENSIONS = /\.(mp4|m4v|webm|ogv|ogg|oga|opus|mp3|m4a|aac|wav|flac|mov)$/i;
/** Files indexed by one prebuild (a folder is walked at most this deep and this wide). */
const MAX_PREBUILD_FILES = 1_000;
const MAX_DEPTH = 4;

/**
 * The URL path a local file of `folder` has on the origin: the folder mirrors the
 * site (`./assets/videos/a.mp4` ↔ `/assets/videos/a.mp4`; an absolute folder maps
 * by its last segment, `/srv/videos/a.mp4` ↔ `/videos/a.mp4`).
 */
export function urlPathFor(folder: string, file: string): string {
  const root = isAbsolute(folder) ? basename(folder) : normalize(folder).replace(/^(\.\/|\.\\)+/, '');
  const rel = relative(folder, file);
  return '/' + [root, rel].filter((p) => p !== '' && p !== '.').join('/').split(sep).map(encodeURIComponent).join('/');
}

async function listMedia(folder: string, depth = 0, out: string[] = []): Promise<string[]> {
  if (depth > MAX_DEPTH || out.length >= MAX_PREBUILD_FILES) return out;
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (out.length >= MAX_PREBUILD_FILES) break;
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await listMedia(path, depth + 1, out);
    else if (entry.isFile() && MEDIA_EXTENSIONS.test(entry.name)) out.push(path);
  }
  return out;
}

/**
 * Builds torrents at start for the media of a local folder. The bytes are taken
 * from the origin (through the index), not from the folder, so the hashes match
 * what visitors are served. Returns how many files were indexed.
 */
export async function prebuildFolder(folder: string, index: MediaIndex, logger?: Logger): Promise<number> {
  const files = await listMedia(folder);
  let built = 0;
  for (const file of files) {
    const upstream = new URL(urlPathFor(folder, file), index.scope.origin);
    try {
      const record = await index.lookup(upstream);
      if (record.infoHash) built++;
    } catch (err) {
      logger?.warn({ err, url: upstream.href }, 'prebuild: cannot index');
    }
  }
  logger?.info({ folder, files: files.length, torrents: built }, 'prebuild done');
  return built;
}
