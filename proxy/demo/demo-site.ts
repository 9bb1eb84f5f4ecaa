import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makePng, TINY_GIF } from './png.js';

export interface SiteFile {
  body: Buffer;
  contentType: string;
}

/** Demo gallery images: varied sizes (a few KB to ~400 KB) like a real photo page. */
const GALLERY = Array.from({ length: 20 }, (_, i) => ({
  name: `photo-${String(i + 1).padStart(2, '0')}.png`,
  width: 160 + ((i * 53) % 7) * 60,
  height: 120 + ((i * 37) % 5) * 40,
  noise: [0, 0.1, 0.3, 0.6, 1][i % 5] as number,
}));

const HERO_WIDTHS = [480, 960];

/**
 * The heavier page (`/heavy.html`), for speed benchmarks: a ~300 KB hero above
 * 40 thumbnails of ~55–135 KB (~3.9 MB of images in all), like a shop's category
 * page. Generated on first use and kept: the gallery's callers don't pay for it twice.
 */
export const HEAVY_PAGE = '/heavy.html';
export const HEAVY_HERO = { path: '/images/heavy/hero.png', width: 640, height: 180, seed: 5999, noise: 0.1 } as const;
export const HEAVY_IMAGES = Array.from({ length: 40 }, (_, i) => ({
  path: `/images/heavy/item-${String(i + 1).padStart(2, '0')}.png`,
  width: 180 + ((i * 29) % 5) * 20,
  height: 135 + ((i * 17) % 4) * 15,
  seed: 5000 + i,
  noise: i % 5 < 2 ? 0.1 : 0,
}));
/** Thumbnails in document order before the first lazy one (the rest load as they near the viewport). */
const HEAVY_EAGER = 12;
let heavyBodies: Map<string, Buffer> | undefined;

function heavyImageBodies(): Map<string, Buffer> {
  heavyBodies ??= new Map([HEAVY_HERO, ...HEAVY_IMAGES].map((image) => [image.path, makePng(image.width, image.height, image.seed, image.noise)]));
  return heavyBodies;
}

function mediaFile(name: string): Buffer {
  // Resolve from the source tree whether running from TypeScript or from dist/.
  const candidates = [
    new URL(`./media/${name}`, import.meta.url),
    new URL(`../../../proxy/demo/media/${name}`, import.meta.url),
  ];
  for (const candidate of candidates) {
    try {
      return readFileSync(fileURLToPath(candidate));
    } catch {
      // try the next location
    }
  }
  throw new Error(`demo media ${name} not found`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · PeerConnect demo</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><h1>${title}</h1><nav><a href="/">Gallery</a> · <a href="/video.html">Video</a> · <a href="/about.html">About</a></nav></header>
${body}
<footer><p>Demo site served by the origin; PeerConnect sits in front of it.</p></footer>
</body>
</html>
`;
}

/** The whole demo site, generated deterministically in memory (same bytes on every machine). */
export function buildDemoSite(): Map<string, SiteFile> {
  const files = new Map<string, SiteFile>();
  const add = (path: string, body: Buffer | string, contentType: string): void => {
    files.set(path, { body: typeof body === 'string' ? Buffer.from(body) : body, contentType });
  };

  GALLERY.forEach((image, i) => add(`/images/${image.name}`, makePng(image.width, image.height, i + 1, image.noise), 'image/png'));
  for (const width of HERO_WIDTHS) add(`/images/hero-${width}.png`, makePng(width, Math.round(width / 3), 1000 + width, 0.15), 'image/png');
  add('/images/poster.png', makePng(480, 270, 4242, 0.05), 'image/png');
  add('/images/spinner.gif', TINY_GIF, 'image/gif');
  add('/media/demo.webm', mediaFile('demo.webm'), 'video/webm');
  add('/media/tone.ogg', mediaFile('tone.ogg'), 'audio/ogg');

  add('/style.css', `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 1em;color:#222}
header{border-bottom:1px solid #ddd;margin-bottom:1em}.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:8px}
.gallery img{width:100%;height:140px;object-fit:cover;display:block;background:#eee}picture img{width:100%;height:auto}
video,audio{width:100%;max-width:640px}footer{margin-top:2em;color:#777;font-size:.9em}
`, 'text/css; charset=utf-8');

  const gallery = GALLERY.map((image, i) =>
    `<figure><img src="/images/${image.name}" alt="Photo ${i + 1}" width="${image.width}" height="${image.height}"${i >= 8 ? ' loading="lazy"' : ''}></figure>`,
  ).join('\n');
  add('/index.html', page('Gallery', `<picture>
<source media="(min-width: 800px)" srcset="/images/hero-960.png 960w, /images/hero-480.png 480w" sizes="100vw">
<img src="/images/hero-480.png" alt="Hero banner" width="480" height="160">
</picture>
<p>A page of images. Loading indicator: <img src="/images/spinner.gif" alt="spinner" width="16" height="16"></p>
<section class="gallery">
${gallery}
</section>`), 'text/html; charset=utf-8');

  add('/video.html', page('Video', `<video controls preload="metadata" poster="/images/poster.png" width="480" height="270">
<source src="/media/demo.webm" type="video/webm">
</video>
<h2>Audio</h2>
<audio controls preload="metadata" src="/media/tone.ogg"></audio>`), 'text/html; charset=utf-8');

  add('/about.html', page('About', `<p>PeerConnect turns this site's media into a peer-to-peer CDN.</p>
<img src="/images/photo-01.png" alt="Photo 1 again" width="160" height="120">
<img src="/images/photo-02.png" alt="Photo 2 again" width="220" height="160">`), 'text/html; charset=utf-8');

  for (const [path, body] of heavyImageBodies()) add(path, body, 'image/png');
  const items = HEAVY_IMAGES.map((image, i) =>
    `<figure><img src="${image.path}" alt="Item ${i + 1}" width="${image.width}" height="${image.height}"${i >= HEAVY_EAGER ? ' loading="lazy"' : ''}></figure>`,
  ).join('\n');
  add(HEAVY_PAGE, page('Catalogue', `<img src="${HEAVY_HERO.path}" alt="Catalogue banner" width="${HEAVY_HERO.width}" height="${HEAVY_HERO.height}" style="width:100%;height:auto">
<section class="gallery">
${items}
</section>`), 'text/html; charset=utf-8');

  return files;
}

/** Writes the demo site to a directory (for serving it with nginx, as a legacy origin would). */
export async function writeDemoSite(dir: string): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  for (const [path, file] of buildDemoSite()) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.body);
  }
}
