import { ATTR, CLIENT_CONFIG_ELEMENT_ID, type ClientConfig } from '../protocol/client-config.js';

/**
 * A parked `<img>` has no `src`, so browsers lay it out as its alt text (an
 * inline box with no size) until the client paints it: the page would shift
 * when it does. As an inline-block, the ratio its width/height attributes map to
 * applies, so it holds the box it will have from the first frame (overflow:
 * hidden puts its baseline at its bottom edge, as an image's). `:where()` has no
 * specificity: any rule of the page's own wins.
 */
export const PARKED_BOX_CSS = `:where(img[${ATTR.src}],img[${ATTR.srcset}]){display:inline-block;overflow:hidden}`;

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&`
 * become \u escapes so `</script>` and `<!--` cannot occur, U+2028/2029 too
 * (older JS engines choke on them), and every other non-ASCII character as well
 * so the block reads the same in any ASCII-compatible page encoding.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Escapes a value for a double-quoted attribute. */
export function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (c) => (c === '&' ? '&amp;' : c === '"' ? '&quot;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * The markup injected once per page: the parked-image box style (left out under
 * a CSP, which may forbid inline styles), the config block, then the deferred client.
 */
export function injectionMarkup(config: ClientConfig, scriptSrc: string, nonce: string | undefined): string {
  const nonceAttr = nonce === undefined ? '' : ` nonce="${escapeAttribute(nonce)}"`;
  const style = nonce === undefined ? `<style>${PARKED_BOX_CSS}</style>` : '';
  return `${style}<script type="application/json" id="${CLIENT_CONFIG_ELEMENT_ID}">${scriptSafeJson(config)}</script>`
    + `<script src="${escapeAttribute(scriptSrc)}" defer${nonceAttr}></script>`;
}
