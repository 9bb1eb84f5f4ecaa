import { createHash } from 'node:crypto';
import { DASHBOARD_BUILD, loadBrowserCode } from '../routes/client-bundle.js';

/**
 * The live dashboard: one static page, no framework. Its script
 * (browser/dashboard.ts, bundled like the client) is inlined and pinned by hash in
 * the page's CSP, as is the style: nothing else may run or style the page.
 */

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2433; }
header { padding: 16px 24px; background: #1d3557; color: #fff; display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: 8px; }
header h1 { font-size: 18px; margin: 0; }
header p { margin: 0; opacity: .85; font-size: 12px; }
main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); }
section { background: #fff; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #555; margin: 0 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 12px; }
.card .label { font-size: 12px; color: #666; }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.primary .value { color: #2a9d8f; font-size: 32px; }
table { width: 100%; border-collapse: collapse; }
td, th { padding: 4px 6px; text-align: left; border-bottom: 1px solid #eee; }
th { font-size: 12px; color: #666; font-weight: 500; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono { font-family: ui-monospace, monospace; font-size: 12px; }
.bar { display: inline-block; width: 120px; height: 10px; background: #eee; border-radius: 5px; overflow: hidden; vertical-align: middle; }
.bar > div { height: 100%; }
.share { margin-left: 6px; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.empty { color: #888; font-style: italic; }
canvas { width: 100%; height: 220px; display: block; }
`;

const HTML_TEMPLATE = (script: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>PeerConnect · live offload</title>
<style>${STYLE}</style>
</head>
<body data-state="loading">
<header>
  <h1>PeerConnect · live offload</h1>
  <p data-field="status">Loading…</p>
</header>
<main>
  <section class="wide">
    <h2>Offload</h2>
    <div class="cards">
      <div class="card primary"><div class="label">From peers (browsers)</div><div class="value" data-field="offload-peer">–</div></div>
      <div class="card"><div class="label">Over WebRTC (peers + seeder)</div><div class="value" data-field="offload-p2p">–</div></div>
      <div class="card"><div class="label">Not from origin over HTTP</div><div class="value" data-field="offload-origin">–</div></div>
      <div class="card"><div class="label">Origin bytes saved by P2P (peers, seeder, webseed)</div><div class="value" data-field="saved-peers">–</div></div>
      <div class="card"><div class="label">Origin bytes saved by the edge cache</div><div class="value" data-field="saved-cache">–</div></div>
      <div class="card"><div class="label">Edge cache hits</div><div class="value" data-field="cache-hits">–</div></div>
      <div class="card"><div class="label">Media bytes reported</div><div class="value" data-field="total-bytes">–</div></div>
      <div class="card"><div class="label">Peers</div><div class="value" data-field="peers">–</div></div>
      <div class="card"><div class="label">Swarms</div><div class="value" data-field="swarms">–</div></div>
      <div class="card"><div class="label">Time to image (median)</div><div class="value" data-field="tti-median">–</div></div>
      <div class="card"><div class="label">Time to image (p95)</div><div class="value" data-field="tti-p95">–</div></div>
      <div class="card"><div class="label">Reports</div><div class="value" data-field="reports">0</div></div>
    </div>
  </section>
  <section class="wide">
    <h2>Bytes by source over time</h2>
    <canvas data-field="chart" aria-label="Bytes by source over time"></canvas>
  </section>
  <section>
    <h2>Bytes by source</h2>
    <table><thead><tr><th>source</th><th class="num">bytes</th><th>share</th></tr></thead><tbody data-field="sources"></tbody></table>
    <p hidden><span data-field="bytes-peer"></span><span data-field="bytes-seeder"></span><span data-field="bytes-webseed"></span><span data-field="bytes-server"></span></p>
  </section>
  <section>
    <h2>Fallbacks to HTTP by reason</h2>
    <table><thead><tr><th>reason</th><th class="num">count</th><th></th></tr></thead><tbody data-field="fallbacks"></tbody></table>
  </section>
  <section class="wide">
    <h2>Top assets by bytes from peers</h2>
    <table><thead><tr><th>asset</th><th class="num">from peers</th><th class="num">total</th><th>peer share</th></tr></thead><tbody data-field="assets"></tbody></table>
  </section>
</main>
<script type="module">${script}</script>
</body>
</html>
`;

export interface DashboardPage {
  html: string;
  /** Content-Security-Policy allowing exactly the inline script and style, nothing else. */
  csp: string;
}

let loading: Promise<DashboardPage> | undefined;

/**
 * The page, built once per process: the script comes from `npm run build` when
 * running compiled, else it is bundled from source on first use. A failed load is
 * retried on the next request.
 */
export function dashboardPage(): Promise<DashboardPage> {
  loading ??= buildPage().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function buildPage(): Promise<DashboardPage> {
  const code = await loadBrowserCode({ build: DASHBOARD_BUILD });
  if (!code) throw new Error(`no dashboard build and no source (${DASHBOARD_BUILD.entry})`);
  const script = code.toString('utf8');
  // esbuild escapes `</script` in strings; anything left would end the inline script early.
  if (/<\/script/i.test(script)) throw new Error('dashboard script contains </script');
  const scriptHash = createHash('sha256').update(script).digest('base64');
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  return {
    html: HTML_TEMPLATE(script),
    csp: [
      "default-src 'none'",
      `script-src 'sha256-${scriptHash}'`,
      // Bar widths and swatch colours are set from script through the style property, which CSP allows.
      `style-src 'sha256-${styleHash}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
}
