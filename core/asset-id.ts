import { createHash } from 'node:crypto';
import { ASSET_ID_LENGTH } from '../protocol/asset-id.js';

/**
 * Stable id of a media asset: base64url SHA-256 of its absolute URL (without the
 * fragment), cut to ASSET_ID_LENGTH (22) characters, 132 bits. The injector writes it as
 * `data-p2p`; signaling, the seeder and the client key everything on it.
 */
export function assetIdFor(absoluteUrl: string | URL): string {
  const url = new URL(absoluteUrl);
  url.hash = '';
  return createHash('sha256').update(url.href).digest('base64url').slice(0, ASSET_ID_LENGTH);
}
