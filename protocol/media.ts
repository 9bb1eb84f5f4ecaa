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
