import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SharedManifest, SharedManifests } from '../../core/shared-manifests.js';
import { MAX_IMAGE_DIMENSION, imageDimensionsOf } from '../../protocol/client-config.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { RedisLink } from './redis-link.js';

/** How long a shared manifest lives in Redis: past it, the next instance to need it hashes the image again. */
export const MANIFEST_TTL_MS = 10 * 60_000;
/** Manifest writes in flight; beyond it new ones are skipped (sharing is an optimisation). */
const MAX_PENDING_WRITES = 1_000;

const manifestSchema = z.object({
  id: z.string().min(1).max(64),
  upstream: z.string().min(1).max(8_192),
  contentType: z.string().max(256),
  kind: z.enum(['image', 'video', 'audio', 'other']),
  size: z.number().int().nonnegative().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  width: z.number().int().min(1).max(MAX_IMAGE_DIMENSION).optional(),
  height: z.number().int().min(1).max(MAX_IMAGE_DIMENSION).optional(),
  validators: z.object({ etag: z.string().max(1_024).optional(), lastModified: z.string().max(256).optional() }),
  p2p: z.boolean(),
  checkedAt: z.number(),
});

/** Parses a stored manifest; throws on anything else. */
export function parseSharedManifest(payload: string): SharedManifest {
  return manifestSchema.parse(JSON.parse(payload)) as SharedManifest;
}

/**
 * Image manifests in Redis, one key per origin URL (named by its SHA-256) with
 * a TTL, so the store bounds itself. Reads and writes fail fast while Redis is
 * down (the index then hashes the image itself).
 */
export class RedisManifests implements SharedManifests {
  private pending = 0;

  constructor(private readonly link: RedisLink, private readonly keys: ClusterKeys, private readonly ttlMs = MANIFEST_TTL_MS) {}

  async get(upstream: string): Promise<SharedManifest | undefined> {
    if (this.link.state !== 'up') return undefined;
    const payload = await this.link.command.get(this.keys.manifest(urlKey(upstream)));
    if (payload === null) return undefined;
    try {
      return parseSharedManifest(payload);
    } catch {
      return undefined;
    }
  }

  put(record: SharedManifest): void {
    if (this.link.state !== 'up' || this.pending >= MAX_PENDING_WRITES) return;
    const value: SharedManifest = {
      id: record.id, upstream: record.upstream, contentType: record.contentType, kind: record.kind, validators: record.validators,
      p2p: record.p2p, checkedAt: record.checkedAt,
      ...(record.size !== undefined ? { size: record.size } : {}),
      ...(record.sha256 !== undefined ? { sha256: record.sha256 } : {}),
      ...imageDimensionsOf(record.width, record.height),
    };
    this.pending++;
    this.link.command.set(this.keys.manifest(urlKey(record.upstream)), JSON.stringify(value), 'PX', this.ttlMs)
      .catch(() => undefined)
      .finally(() => this.pending--);
  }
}

function urlKey(upstream: string): string {
  return createHash('sha256').update(upstream).digest('hex');
}
