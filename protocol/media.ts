/** Media kinds the injector tags and the client loads, in `mediaTypes` order. */
export const MEDIA_KINDS = ['image', 'video', 'audio'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/**
 * How a tagged element loads: `peer` (its `src` is moved to `data-p2p-src` and
 * the client fetches it from peers) or `http` (it loads itself and the visitor
 * becomes a holder).
 */
export type DeliveryMode = 'peer' | 'http';

/** The policy used when none is given or P2P is not allowed on a page: everything over HTTP. */
export const HTTP_ALWAYS = (): DeliveryMode => 'http';

export function isMediaKind(value: unknown): value is MediaKind {
  return (MEDIA_KINDS as readonly unknown[]).includes(value);
}

/** What the injector tells the client about one tagged element, in one attribute. */
export interface AssetTag {
  id: string;
  kind: MediaKind;
  mode: DeliveryMode;
}

/**
 * `<id>.<kind>.<mode>`, the value of `data-p2p`: one attribute instead of three
 * halves the injector's calls into the HTML rewriter per tagged element. Asset
 * ids are base64url, so they never contain the dot.
 */
export function formatAssetTag(id: string, kind: MediaKind, mode: DeliveryMode): string {
  return `${id}.${kind}.${mode}`;
}

/** The parts of a `data-p2p` value; throws on anything else (a page may carry stray markup). */
export function parseAssetTag(value: string): AssetTag {
  const [id, kind, mode, extra] = value.split('.');
  if (!id || extra !== undefined || !isMediaKind(kind) || (mode !== 'peer' && mode !== 'http')) {
    throw new TypeError(`not an asset tag: ${JSON.stringify(value.slice(0, 64))}`);
  }
  return { id, kind, mode };
}
