/**
 * Asset ids: base64url SHA-256 of the asset's absolute URL, cut to
 * ASSET_ID_LENGTH characters (core/asset-id.ts computes them on the server).
 * Every id on the wire — `data-p2p`, signaling, peer requests, manifest
 * entries, webseed paths, reports — has exactly this shape.
 */
export const ASSET_ID_LENGTH = 22;
export const ASSET_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${ASSET_ID_LENGTH}}$`);

export function isAssetId(value: unknown): value is string {
  return typeof value === 'string' && ASSET_ID_PATTERN.test(value);
}
