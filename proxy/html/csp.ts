/**
 * Content-Security-Policy handling for injected pages.
 *
 * Our injected markup is a JSON data block (never executed, so CSP does not
 * apply to it) and one external, same-origin, deferred script. Per enforced
 * policy (Report-Only policies block nothing and are left alone), looking at
 * the directive that governs `<script src>` (script-src-elem, else script-src,
 * else default-src):
 * - no such directive, `'self'` or `*`, an `http:`/`https:` scheme source: allowed as is;
 * - a nonce source: allowed by putting the page's nonce on our script;
 * - `'strict-dynamic'` without a nonce, or `'none'`: blocked — the site forbade
 *   such scripts and we respect it: the page is not injected and not tagged;
 * - anything else (hosts, hashes): we add `'self'` to a `script-src` directive
 *   (copied from default-src when that was the governing one, so other
 *   resource types are not widened).
 * Peer delivery paints `blob:` URLs: when an enforced img-src (or default-src)
 * does not allow `blob:`, every element stays on HTTP (tagged, never moved).
 * A `<meta http-equiv>` policy applies only to content after it, so the
 * injector places its markup before such a meta when it comes first.
 */
export type CspPlan =
  | { action: 'none'; peerAllowed: boolean }
  | { action: 'nonce'; nonce: string; peerAllowed: boolean }
  | { action: 'rewrite'; header: string[]; nonce?: string; peerAllowed: boolean }
  | { action: 'blocked' };

interface Directive {
  name: string;
  sources: string[];
}

const NONCE_SOURCE = /^'nonce-([A-Za-z0-9+/_=-]+)'$/i;

function parsePolicy(policy: string): Directive[] {
  const seen = new Set<string>();
  const out: Directive[] = [];
  for (const part of policy.split(';')) {
    const tokens = part.trim().split(/[\t\n\f\r ]+/).filter((t) => t !== '');
    const name = tokens[0]?.toLowerCase();
    if (!name || seen.has(name)) continue; // the first occurrence of a directive wins
    seen.add(name);
    out.push({ name, sources: tokens.slice(1) });
  }
  return out;
}

function serialize(directives: Directive[]): string {
  return directives.map((d) => [d.name, ...d.sources].join(' ')).join('; ');
}

function find(directives: Directive[], ...names: string[]): Directive | undefined {
  for (const name of names) {
    const found = directives.find((d) => d.name === name);
    if (found) return found;
  }
  return undefined;
}

const lower = (s: string): string => s.toLowerCase();

/** Decides how to let the client script run under the response's CSP header(s). */
export function planCsp(header: string | string[] | number | undefined): CspPlan {
  if (header === undefined) return { action: 'none', peerAllowed: true };
  // Several headers, or one with comma-joined policies: each is enforced on its own.
  const policies = [header].flat().map(String).flatMap((value) => value.split(',')).map((p) => p.trim()).filter((p) => p !== '');
  let nonce: string | undefined;
  let rewritten = false;
  let peerAllowed = true;
  const out: string[] = [];
  for (const policy of policies) {
    const directives = parsePolicy(policy);
    const images = find(directives, 'img-src', 'default-src');
    if (images && !images.sources.map(lower).includes('blob:')) peerAllowed = false;

    const scripts = find(directives, 'script-src-elem', 'script-src', 'default-src');
    if (!scripts) {
      out.push(policy);
      continue;
    }
    const sources = scripts.sources.map(lower);
    const nonces = scripts.sources.map((s) => NONCE_SOURCE.exec(s)?.[1]).filter((n): n is string => n !== undefined);
    const pageNonce = nonce ?? nonces[0];
    if (pageNonce !== undefined && nonces.includes(pageNonce)) {
      nonce = pageNonce;
      out.push(policy);
      continue;
    }
    if (sources.includes("'strict-dynamic'") || sources.length === 0 || sources.includes("'none'")) return { action: 'blocked' };
    if (sources.some((s) => s === "'self'" || s === '*' || s === 'http:' || s === 'https:')) {
      out.push(policy);
      continue;
    }
    rewritten = true;
    if (scripts.name === 'default-src') {
      directives.push({ name: 'script-src', sources: [...scripts.sources, "'self'"] });
    } else {
      scripts.sources.push("'self'");
    }
    out.push(serialize(directives));
  }
  if (rewritten) return nonce === undefined ? { action: 'rewrite', header: out, peerAllowed } : { action: 'rewrite', header: out, nonce, peerAllowed };
  if (nonce !== undefined) return { action: 'nonce', nonce, peerAllowed };
  return { action: 'none', peerAllowed };
}
