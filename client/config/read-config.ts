import { isAssetId } from '../../protocol/asset-id.js';
import { CLIENT_CONFIG_ELEMENT_ID, MAX_CONFIG_ASSETS, imageDimensionsOf, type ClientConfig, type ConfigAsset } from '../../protocol/client-config.js';

const MEDIA_TYPES = ['image', 'video', 'audio'] as const;
/** Deadline used when the block carries none (mirrors the proxy's default). */
const DEFAULT_PEER_TIMEOUT_MS = 2_000;
const MAX_TRACKER_URL = 2_048;

/**
 * Reads and validates the injected `#__p2p-config` block. Returns undefined when
 * it is missing or malformed: the page then simply loads everything over HTTP.
 */
export function readConfig(doc: Document): ClientConfig | undefined {
  const el = doc.getElementById(CLIENT_CONFIG_ELEMENT_ID);
  if (!el?.textContent) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(el.textContent) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  return parseConfig(raw);
}

/** Pure validation of the config object; undefined when unusable. */
export function parseConfig(raw: unknown): ClientConfig | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const c = raw as Record<string, unknown>;
  if (c.v !== 1 || typeof c.prefix !== 'string' || !/^\/[A-Za-z0-9_~./-]*$/.test(c.prefix)) return undefined;
  const timeout = typeof c.peerTimeoutMs === 'number' && c.peerTimeoutMs > 0 ? c.peerTimeoutMs : DEFAULT_PEER_TIMEOUT_MS;
  const iceServers = Array.isArray(c.iceServers) ? c.iceServers.filter((s): s is string => typeof s === 'string') : [];
  const mediaTypes = Array.isArray(c.mediaTypes)
    ? MEDIA_TYPES.filter((t) => (c.mediaTypes as unknown[]).includes(t))
    : [...MEDIA_TYPES];
  const config: ClientConfig = {
    v: 1,
    prefix: c.prefix.replace(/\/$/, ''),
    peerTimeoutMs: timeout,
    iceServers,
    mediaTypes,
  };
  if (c.privacy === 'strict') config.privacy = 'strict';
  if (Array.isArray(c.assets)) {
    const assets = c.assets.slice(0, MAX_CONFIG_ASSETS).flatMap((a) => validAsset(a));
    if (assets.length > 0) config.assets = assets;
  }
  if (c.lcpHttp === true) config.lcpHttp = true;
  if (typeof c.trackerUrl === 'string' && c.trackerUrl.length <= MAX_TRACKER_URL && /^wss?:\/\/[^\s/?#]+[^\s]*$/i.test(c.trackerUrl)) config.trackerUrl = c.trackerUrl;
  if (typeof c.hedgeMs === 'number' && Number.isInteger(c.hedgeMs) && c.hedgeMs >= 0) config.hedgeMs = c.hedgeMs;
  // Test builds only; the fault names stay inside the guard so production bundles drop them.
  if (globalThis.__PEERCONNECT_TEST_HOOKS__ !== false) {
    const fault = (['throw-at-start', 'corrupt-bytes', 'close-mid-transfer', 'stall-mid-transfer', 'drop-candidates'] as const).find((f) => f === c.fault);
    if (fault) config.fault = fault;
  }
  return config;
}

/** One well-formed `assets` entry, or nothing. */
function validAsset(raw: unknown): ConfigAsset[] {
  if (raw === null || typeof raw !== 'object') return [];
  const a = raw as Record<string, unknown>;
  if (typeof a.url !== 'string' || !a.url.startsWith('/') || a.url.startsWith('//') || a.url.length > 2_048) return [];
  if (!isAssetId(a.id) || typeof a.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(a.sha256)) return [];
  if (typeof a.size !== 'number' || !Number.isInteger(a.size) || a.size < 0) return [];
  return [{
    url: a.url, id: a.id, sha256: a.sha256, size: a.size, ...(typeof a.type === 'string' ? { type: a.type.slice(0, 128) } : {}),
    ...imageDimensionsOf(a.width, a.height),
  }];
}
