import type { Config } from '../config/options.js';

export interface StatusInputs {
  config: Pick<Config, 'mediaTypes' | 'threshold' | 'seederMode' | 'adminToken' | 'geoLocate' | 'privacy' | 'redisUrl'>;
  /** Feature readiness by name, when the feature runs. */
  ready: Record<string, boolean | undefined>;
  adminUrl?: URL;
}

/**
 * One line telling an operator at a glance whether P2P will happen and what is
 * exposed, e.g. `P2P on: image,video,audio · threshold 3 · signaling ready ·
 * seeder embedded · geo pairing · registry in-memory · admin token required`.
 */
export function p2pStatusLine({ config, ready, adminUrl }: StatusInputs): string {
  const parts: string[] = [];
  const on = config.mediaTypes.length > 0;
  parts.push(on ? `P2P on: ${config.mediaTypes.join(',')}` : 'P2P off (P2P_MEDIA_TYPES is empty)');
  if (on) parts.push(`threshold ${config.threshold}`);
  const signaling = ready.signaling;
  parts.push(`signaling ${signaling === undefined ? 'absent' : signaling ? 'ready' : 'not ready'}`);
  parts.push(`seeder ${config.seederMode}`);
  if (config.geoLocate) parts.push('geo pairing');
  parts.push(`registry ${config.redisUrl ? 'redis' : 'in-memory'}`);
  if (config.privacy === 'strict') parts.push('privacy strict');
  const where = adminUrl ? ` on ${adminUrl.host}` : '';
  parts.push(config.adminToken ? `admin${where}: token required` : `admin${where}: OPEN (set ADMIN_TOKEN)`);
  return parts.join(' · ');
}
