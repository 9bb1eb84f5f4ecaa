import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildDemoSite } from '../../proxy/demo/demo-site.js';

// The single-page app fixture of test/e2e/spa-images.test.ts and test/e2e/firefox.test.ts.

/** The home view's images; the first EAGER are inserted with a live src, the rest with loading="lazy". */
export const HOME = 20;
export const EAGER = 8;
/** The /more view: lazy images only. */
export const MORE = ['/images/hero-480.png', '/images/poster.png'];

/**
 * A single-page app with no framework: after load its script inserts the home
 * view's 20 images in batches of 5 (the first 8 with src, the rest
 * loading="lazy", each in a 400 px block, so every lazy one starts below the
 * fold), and swaps views with pushState/popstate. Every image counts its load
 * events in data-loads, so a double render shows.
 */
const APP = `<!doctype html>
<html><head><meta charset="utf-8"><title>SPA</title>
<style>body{margin:0} .cell{height:400px} img{display:block;width:300px;height:200px}</style></head>
<body><nav><a href="/more" id="more">More</a></nav><main id="app"></main>
<script>
const HOME = ${HOME}, EAGER = ${EAGER}, MORE = ${JSON.stringify(MORE)};
const photo = (i) => '/images/photo-' + String(i + 1).padStart(2, '0') + '.png';
function image(url, lazy) {
  const cell = document.createElement('div');
  cell.className = 'cell';
  const img = document.createElement('img');
  img.alt = url;
  img.addEventListener('load', () => { img.dataset.loads = String(Number(img.dataset.loads || 0) + 1); });
  if (lazy) img.loading = 'lazy';
  img.src = url;
  cell.append(img);
  return cell;
}
async function render(path) {
  const app = document.getElementById('app');
  app.replaceChildren();
  window.scrollTo(0, 0);
  if (path === '/more') {
    for (const url of MORE) app.append(image(url, true));
    document.body.dataset.view = 'more';
    return;
  }
  for (let batch = 0; batch < HOME; batch += 5) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = batch; i < batch + 5; i++) app.append(image(photo(i), i >= EAGER));
  }
  document.body.dataset.view = 'home';
}
window.spa = { go(path) { history.pushState({}, '', path); return render(path); } };
window.addEventListener('popstate', () => render(location.pathname));
window.addEventListener('load', () => render(location.pathname));
</script></body></html>`;

interface LogEntry { path: string; agent: string }

export class SpaOrigin {
  readonly log: LogEntry[] = [];
  private readonly files = buildDemoSite();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://origin').pathname;
      this.log.push({ path, agent: String(req.headers['user-agent'] ?? '') });
      const file = this.files.get(path);
      if (file && path.startsWith('/images/')) {
        res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length, 'cache-control': 'max-age=3600' });
        res.end(file.body);
      } else if (path === '/' || path === '/more') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(APP);
      } else if (path === '/elsewhere') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>elsewhere</title><p>another page</p>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  images(agent: string): string[] {
    return this.log.filter((e) => e.agent.includes(` ${agent}`) && e.path.startsWith('/images/')).map((e) => e.path);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
