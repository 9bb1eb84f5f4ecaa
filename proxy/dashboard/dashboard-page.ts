import { createHash } from 'node:crypto';

/**
 * The live dashboard: one static page, no framework. Its script polls `stats`
 * (beside the page, under the same prefix) every few seconds and builds every node
 * with textContent, so nothing a client reported (asset ids, reasons) can inject
 * markup. The admin token arrives once as `?token=`, is kept in memory, removed
 * from the address bar, and sent as a Bearer header.
 */

const SCRIPT = String.raw`
'use strict';
const POLL_MS = 3000;
const FETCH_TIMEOUT_MS = 5000;
const MIN_SLOTS = 24;
const SOURCES = ['peer', 'seeder', 'webseed', 'server'];
const COLORS = { peer: '#2a9d8f', seeder: '#e9c46a', webseed: '#f4a261', server: '#8d99ae' };
const params = new URLSearchParams(location.search);
const token = params.get('token');
if (token !== null) {
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
}
const statsUrl = location.pathname.replace(/\/dashboard\/?$/, '/stats');

const $ = (field) => document.querySelector('[data-field="' + field + '"]');
function setText(field, text) {
  const el = $(field);
  if (el) el.textContent = text;
}
function formatBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
}
function formatRatio(r) {
  return typeof r === 'number' && isFinite(r) ? (r * 100).toFixed(1) + ' %' : '–';
}
function formatMs(ms) {
  return typeof ms === 'number' && isFinite(ms) ? Math.round(ms) + ' ms' : '–';
}
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
function bar(share, color) {
  const outer = el('div', undefined, 'bar');
  const inner = el('div');
  inner.style.width = Math.max(0, Math.min(100, share * 100)).toFixed(1) + '%';
  inner.style.background = color;
  outer.append(inner);
  return outer;
}

function renderSources(stats) {
  const body = $('sources');
  const total = stats.totalBytes || 0;
  const rows = SOURCES.map((source) => {
    const bytes = stats.bytes ? Number(stats.bytes[source]) || 0 : 0;
    const tr = el('tr');
    const name = el('td');
    const swatch = el('span', undefined, 'swatch');
    swatch.style.background = COLORS[source];
    name.append(swatch, document.createTextNode(source));
    const cell = el('td');
    cell.append(bar(total > 0 ? bytes / total : 0, COLORS[source]));
    tr.append(name, el('td', formatBytes(bytes), 'num'), cell);
    tr.dataset.source = source;
    return tr;
  });
  body.replaceChildren(...rows);
  for (const source of SOURCES) setText('bytes-' + source, formatBytes(stats.bytes ? stats.bytes[source] : undefined));
}

function showEmpty(body, text, columns) {
  const td = el('td', text, 'empty');
  td.colSpan = columns;
  const tr = el('tr');
  tr.append(td);
  body.replaceChildren(tr);
}

function renderAssets(stats) {
  const body = $('assets');
  const assets = Array.isArray(stats.topAssets) ? stats.topAssets : [];
  if (assets.length === 0) return showEmpty(body, 'No reports yet', 4);
  body.replaceChildren(...assets.map((asset) => {
    const tr = el('tr');
    const share = el('td');
    share.append(bar(Number(asset.peerShare) || 0, COLORS.peer), el('span', formatRatio(Number(asset.peerShare)), 'share'));
    const name = el('td', typeof asset.path === 'string' ? asset.path : asset.id, 'mono');
    name.title = asset.id;
    name.dataset.assetId = asset.id;
    tr.append(name, el('td', formatBytes(asset.bytes && asset.bytes.peer), 'num'), el('td', formatBytes(asset.total), 'num'), share);
    return tr;
  }));
}

function renderFallbacks(stats) {
  const body = $('fallbacks');
  const entries = Object.entries(stats.fallbacks || {}).filter((e) => Number(e[1]) > 0).sort((a, b) => b[1] - a[1]);
  const max = entries.length ? entries[0][1] : 0;
  if (entries.length === 0) return showEmpty(body, 'No fallbacks', 3);
  body.replaceChildren(...entries.map(([reason, count]) => {
    const tr = el('tr');
    const cell = el('td');
    cell.append(bar(max > 0 ? count / max : 0, '#e76f51'));
    tr.append(el('td', reason), el('td', count, 'num'), cell);
    return tr;
  }));
}

function renderChart(stats) {
  const canvas = $('chart');
  const history = Array.isArray(stats.history) ? stats.history : [];
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const pad = { left: 64, right: 8, top: 8, bottom: 20 };
  const plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
  const totals = history.map((b) => SOURCES.reduce((sum, s) => sum + (Number(b.bytes[s]) || 0), 0));
  const max = Math.max(1, ...totals);
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#666';
  ctx.font = '11px system-ui, sans-serif';
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + plotH - (plotH * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(width - pad.right, y); ctx.stroke();
    ctx.fillText(formatBytes((max * i) / 4), 4, y + 4);
  }
  if (history.length === 0) return;
  // At least MIN_SLOTS bars wide, newest on the right, so one early bucket is not a full-width block.
  const slots = Math.max(MIN_SLOTS, history.length);
  const step = plotW / slots;
  const offset = slots - history.length;
  history.forEach((b, i) => {
    let y = pad.top + plotH;
    for (const source of SOURCES) {
      const h = ((Number(b.bytes[source]) || 0) / max) * plotH;
      if (h <= 0) continue;
      ctx.fillStyle = COLORS[source];
      ctx.fillRect(pad.left + (offset + i) * step, y - h, Math.max(1, step - 1), h);
      y -= h;
    }
  });
  const first = new Date(history[0].t), last = new Date(history[history.length - 1].t);
  ctx.fillStyle = '#666';
  const lastLabel = last.toLocaleTimeString();
  const lastX = width - pad.right - ctx.measureText(lastLabel).width;
  ctx.fillText(lastLabel, lastX, height - 4);
  const firstLabel = first.toLocaleTimeString();
  const firstX = pad.left + offset * step;
  if (firstX + ctx.measureText(firstLabel).width + 8 < lastX) ctx.fillText(firstLabel, firstX, height - 4);
}

function render(stats) {
  const offload = stats.offload || {};
  setText('offload-peer', formatRatio(offload.peer));
  setText('offload-p2p', formatRatio(offload.p2p));
  setText('offload-origin', formatRatio(offload.origin));
  setText('total-bytes', formatBytes(stats.totalBytes));
  setText('peers', stats.peers === null || stats.peers === undefined ? 'n/a' : String(stats.peers));
  setText('swarms', stats.swarms === null || stats.swarms === undefined ? 'n/a' : String(stats.swarms));
  setText('reports', String(stats.reports ?? 0));
  const tti = stats.timeToImage || {};
  setText('tti-median', formatMs(tti.medianMs));
  setText('tti-p95', formatMs(tti.p95Ms));
  renderSources(stats);
  renderAssets(stats);
  renderFallbacks(stats);
  renderChart(stats);
}

async function poll() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const headers = token ? { authorization: 'Bearer ' + token } : {};
    const res = await fetch(statsUrl, { headers, cache: 'no-store', signal: controller.signal });
    if (res.status === 401) {
      setText('status', 'Unauthorized: open this page with ?token=<ADMIN_TOKEN>');
      document.body.dataset.state = 'unauthorized';
      return;
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const stats = await res.json();
    render(stats);
    setText('status', 'Updated ' + new Date().toLocaleTimeString() + ' · every ' + POLL_MS / 1000 + ' s');
    document.body.dataset.state = 'live';
  } catch (err) {
    setText('status', 'Cannot reach stats: ' + (err && err.message ? err.message : String(err)));
    document.body.dataset.state = 'error';
  } finally {
    clearTimeout(timer);
  }
}

poll();
setInterval(poll, POLL_MS);
`;

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

const HTML_TEMPLATE = (): string => `<!doctype html>
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
<script>${SCRIPT}</script>
</body>
</html>
`;

export interface DashboardPage {
  html: string;
  /** Content-Security-Policy allowing exactly the inline script and style, nothing else. */
  csp: string;
}

let cached: DashboardPage | undefined;

export function dashboardPage(): DashboardPage {
  if (cached) return cached;
  const scriptHash = createHash('sha256').update(SCRIPT).digest('base64');
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  cached = {
    html: HTML_TEMPLATE(),
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
  return cached;
}
