/**
 * The live dashboard's script, bundled by esbuild and inlined into the page under
 * a hash-pinned CSP (proxy/dashboard/dashboard-page.ts). It polls `stats` beside
 * the page every few seconds and builds every node with textContent, so nothing a
 * client reported (asset ids, reasons) can inject markup. The admin token arrives
 * once as `?token=`, is kept in memory, removed from the address bar, and sent as
 * a Bearer header.
 */
import type { ByteSource } from '../../../protocol/report.js';
import type { ConnectivityStats, EdgeCacheFigures, HistoryBucket, StatsResponse } from '../../../protocol/stats.js';

const POLL_MS = 3000;
const FETCH_TIMEOUT_MS = 5000;
/** The chart is at least this many bars wide, so one early bucket is not a full-width block. */
const MIN_SLOTS = 24;
const SOURCES: readonly ByteSource[] = ['peer', 'seeder', 'webseed', 'server'];
const COLORS: Record<ByteSource, string> = { peer: '#2a9d8f', seeder: '#e9c46a', webseed: '#f4a261', server: '#8d99ae' };
const FALLBACK_COLOR = '#e76f51';

const params = new URLSearchParams(location.search);
const token = params.get('token');
if (token !== null) {
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
}
const statsUrl = location.pathname.replace(/\/dashboard\/?$/, '/stats');

function field(name: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-field="${name}"]`);
}

/** Elements the page template always has: missing one is a template bug, not a data problem. */
function requireField<T extends HTMLElement>(name: string, type: abstract new () => T): T {
  const node = field(name);
  if (!(node instanceof type)) throw new Error(`dashboard template has no ${type.name} [data-field="${name}"]`);
  return node;
}

function setText(name: string, text: string): void {
  const node = field(name);
  if (node) node.textContent = text;
}

function formatBytes(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? String(n) : n.toFixed(1)} ${units[i] ?? ''}`;
}

function formatRatio(r: number | null | undefined): string {
  return typeof r === 'number' && Number.isFinite(r) ? `${(r * 100).toFixed(1)} %` : '–';
}

function formatMs(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? `${Math.round(ms)} ms` : '–';
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string | number, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className !== undefined) node.className = className;
  return node;
}

function bar(share: number, color: string): HTMLDivElement {
  const outer = el('div', undefined, 'bar');
  const inner = el('div');
  inner.style.width = `${Math.max(0, Math.min(100, share * 100)).toFixed(1)}%`;
  inner.style.background = color;
  outer.append(inner);
  return outer;
}

function showEmpty(body: HTMLElement, text: string, columns: number): void {
  const td = el('td', text, 'empty');
  td.colSpan = columns;
  const tr = el('tr');
  tr.append(td);
  body.replaceChildren(tr);
}

function renderSources(stats: StatsResponse): void {
  const total = stats.totalBytes;
  const rows = SOURCES.map((source) => {
    const bytes = stats.bytes[source];
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
  requireField('sources', HTMLTableSectionElement).replaceChildren(...rows);
  for (const source of SOURCES) setText(`bytes-${source}`, formatBytes(stats.bytes[source]));
}

function renderAssets(stats: StatsResponse): void {
  const body = requireField('assets', HTMLTableSectionElement);
  if (stats.topAssets.length === 0) {
    showEmpty(body, 'No reports yet', 4);
    return;
  }
  body.replaceChildren(...stats.topAssets.map((asset) => {
    const tr = el('tr');
    const share = el('td');
    share.append(bar(asset.peerShare, COLORS.peer), el('span', formatRatio(asset.peerShare), 'share'));
    const name = el('td', asset.path ?? asset.id, 'mono');
    name.title = asset.id;
    name.dataset.assetId = asset.id;
    tr.append(name, el('td', formatBytes(asset.bytes.peer), 'num'), el('td', formatBytes(asset.total), 'num'), share);
    return tr;
  }));
}

function renderFallbacks(stats: StatsResponse): void {
  const body = requireField('fallbacks', HTMLTableSectionElement);
  const entries = Object.entries(stats.fallbacks).filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
  const max = entries[0]?.[1] ?? 0;
  if (entries.length === 0) {
    showEmpty(body, 'No fallbacks', 3);
    return;
  }
  body.replaceChildren(...entries.map(([reason, count]) => {
    const tr = el('tr');
    const cell = el('td');
    cell.append(bar(max > 0 ? count / max : 0, FALLBACK_COLOR));
    tr.append(el('td', reason), el('td', count, 'num'), cell);
    return tr;
  }));
}

/** The connectivity table's body, built on first use (the page template predates it). */
function networksBody(): HTMLTableSectionElement {
  const existing = field('networks');
  if (existing instanceof HTMLTableSectionElement) return existing;
  const head = el('tr');
  head.append(el('th', 'network'), el('th', 'attempts', 'num'), el('th', 'connected', 'num'), el('th', 'host / srflx / relay', 'num'), el('th', 'mode'));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  body.dataset.field = 'networks';
  const table = el('table');
  table.append(thead, body);
  const section = el('section', undefined, 'wide');
  section.append(el('h2', 'WebRTC links by visitor network'), table);
  document.querySelector('main')?.append(section);
  return body;
}

/** Per-network link figures from signaling (decayed counts); networks in `http` mode get pages without peers. */
function renderNetworks(stats: StatsResponse): void {
  const connectivity = (stats.sources.signaling as { connectivity?: ConnectivityStats } | undefined)?.connectivity;
  if (!connectivity) return;
  const body = networksBody();
  if (connectivity.top.length === 0) {
    showEmpty(body, 'No link reports yet', 5);
    return;
  }
  body.replaceChildren(...connectivity.top.map((network) => {
    const tr = el('tr');
    const { host, srflx, relay } = network.pairs;
    tr.append(
      el('td', network.network, 'mono'),
      el('td', network.attempts, 'num'),
      el('td', network.successes, 'num'),
      el('td', `${host} / ${srflx} / ${relay}`, 'num'),
      el('td', network.mode === 'http' ? 'http (links fail)' : 'peer'),
    );
    tr.dataset.mode = network.mode;
    return tr;
  }));
}

function bucketTotal(bucket: HistoryBucket): number {
  return SOURCES.reduce((sum, source) => sum + bucket.bytes[source], 0);
}

function renderChart(stats: StatsResponse): void {
  const canvas = requireField('chart', HTMLCanvasElement);
  const buckets = stats.history;
  const ratio = window.devicePixelRatio;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const pad = { left: 64, right: 8, top: 8, bottom: 20 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...buckets.map(bucketTotal));
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#666';
  ctx.font = '11px system-ui, sans-serif';
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + plotH - (plotH * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, y);
    ctx.lineTo(width - pad.right, y);
    ctx.stroke();
    ctx.fillText(formatBytes((max * i) / 4), 4, y + 4);
  }
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (!first || !last) return;
  // Newest on the right.
  const slots = Math.max(MIN_SLOTS, buckets.length);
  const step = plotW / slots;
  const offset = slots - buckets.length;
  buckets.forEach((bucket, i) => {
    let y = pad.top + plotH;
    for (const source of SOURCES) {
      const h = (bucket.bytes[source] / max) * plotH;
      if (h <= 0) continue;
      ctx.fillStyle = COLORS[source];
      ctx.fillRect(pad.left + (offset + i) * step, y - h, Math.max(1, step - 1), h);
      y -= h;
    }
  });
  ctx.fillStyle = '#666';
  const lastLabel = new Date(last.t).toLocaleTimeString();
  const lastX = width - pad.right - ctx.measureText(lastLabel).width;
  ctx.fillText(lastLabel, lastX, height - 4);
  const firstLabel = new Date(first.t).toLocaleTimeString();
  const firstX = pad.left + offset * step;
  if (firstX + ctx.measureText(firstLabel).width + 8 < lastX) ctx.fillText(firstLabel, firstX, height - 4);
}

/** Origin bytes saved, by who saved them: peers (browsers, seeder, webseed, as reported) and the proxy's edge cache (counted by the proxy). */
function renderSavings(stats: StatsResponse): void {
  setText('saved-peers', formatBytes(stats.bytes.peer + stats.bytes.seeder + stats.bytes.webseed));
  const cache = stats.sources.edgeCache as EdgeCacheFigures | undefined;
  setText('saved-cache', cache ? formatBytes(cache.bytesFromCache) : 'off');
  const lookups = cache ? cache.hits + cache.misses + cache.revalidated : 0;
  setText('cache-hits', cache && lookups > 0 ? `${formatRatio((cache.hits + cache.revalidated) / lookups)} of ${lookups}` : '–');
}

function render(stats: StatsResponse): void {
  setText('offload-peer', formatRatio(stats.offload.peer));
  setText('offload-p2p', formatRatio(stats.offload.p2p));
  setText('offload-origin', formatRatio(stats.offload.origin));
  setText('total-bytes', formatBytes(stats.totalBytes));
  setText('peers', String(stats.peers));
  setText('swarms', String(stats.swarms));
  setText('reports', String(stats.reports));
  setText('tti-median', formatMs(stats.timeToImage.medianMs));
  setText('tti-p95', formatMs(stats.timeToImage.p95Ms));
  renderSavings(stats);
  renderSources(stats);
  renderAssets(stats);
  renderFallbacks(stats);
  renderNetworks(stats);
  renderChart(stats);
}

async function poll(): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const res = await fetch(statsUrl, { headers, cache: 'no-store', signal: controller.signal });
    if (res.status === 401) {
      setText('status', 'Unauthorized: open this page with ?token=<ADMIN_TOKEN>');
      document.body.dataset.state = 'unauthorized';
      return;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    // Our own proxy's answer, behind the admin token: typed, not validated.
    render((await res.json()) as StatsResponse);
    setText('status', `Updated ${new Date().toLocaleTimeString()} · every ${POLL_MS / 1000} s`);
    document.body.dataset.state = 'live';
  } catch (err) {
    setText('status', `Cannot reach stats: ${err instanceof Error ? err.message : String(err)}`);
    document.body.dataset.state = 'error';
  } finally {
    clearTimeout(timer);
  }
}

void poll();
setInterval(() => void poll(), POLL_MS);
