import type { Config } from '../../core/config/options.js';

export interface StatusInputs {
  config: Pick<Config, 'mediaTypes' | 'threshold' | 'seederMode' | 'adminToken' | 'geoLocate' | 'privacy' | 'redisUrl'>;
  /** What the peer registry really is (`in-memory`, `redis`…), not what was asked for. */
  registry?: string;
  /** Feature readiness by name, when the feature runs. */
  ready: Record<string, boolean | undefined>;
  adminUrl?: URL;
}

/**
 * One line telling an operator at a glance whether P2P will happen and what is
 * exposed, e.g. `P2P on: image,video,audio · threshold 3 · signaling ready ·
 * seeder embedded · geo pairing · registry in-memory · admin: token required`.
 */
export function p2pStatusLine({ config, ready, adminUrl, registry }: StatusInputs): string {
  const parts: string[] = [];
  const on = config.mediaTypes.length > 0;
  parts.push(on ? `P2P on: ${config.mediaTypes.join(',')}` : 'P2P off (no media types)');
  if (on) parts.push(`threshold ${config.threshold}`);
  const signaling = ready.signaling;
  parts.push(`signaling ${signaling === undefined ? 'absent' : signaling ? 'ready' : 'not ready'}`);
  parts.push(`seeder ${config.seederMode}`);
  if (config.geoLocate) parts.push('geo pairing');
  if (registry) parts.push(`registry ${registry}`);
  // Say so when a shared registry was asked for but this build runs without one.
  if (config.redisUrl && registry === 'in-memory') parts.push('REDIS_URL not used');
  if (config.privacy === 'strict') parts.push('privacy strict');
  const where = adminUrl ? ` on ${adminUrl.host}` : '';
  parts.push(config.adminToken ? `admin${where}: token required` : `admin${where}: OPEN (set ADMIN_TOKEN)`);
  return parts.join(' · ');
}
