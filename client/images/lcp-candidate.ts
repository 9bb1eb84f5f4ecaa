/**
 * The page's likely Largest Contentful Paint element among its parked images:
 * the one covering the most of the first viewport (its box is reserved, see the
 * injected parked-image style). A fresh page view reaches its first peer byte
 * several round trips after HTTP would have painted (signaling, want, offer and
 * answer, ICE, DTLS: `bench/speed --breakdown`), so this one image loads over
 * HTTP unless the operator turns it off (P2P_LCP_HTTP=false).
 */
export function largestInView(images: readonly HTMLImageElement[], viewport: { width: number; height: number }): HTMLImageElement | undefined {
  let best: HTMLImageElement | undefined;
  let bestArea = 0;
  for (const img of images) {
    const r = img.getBoundingClientRect();
    const width = Math.max(0, Math.min(r.right, viewport.width) - Math.max(r.left, 0));
    const height = Math.max(0, Math.min(r.bottom, viewport.height) - Math.max(r.top, 0));
    if (width * height > bestArea) {
      best = img;
      bestArea = width * height;
    }
  }
  return best;
}
