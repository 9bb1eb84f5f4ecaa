import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { sendJsonError } from '../../core/http/error-response.js';
import type { Logger } from '../../core/logger.js';
import type { Feature } from '../../core/feature.js';
import { accepts } from '../html/content-coding.js';
import type { P2pRouter } from './router.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Vendor files are few and fixed (WebTorrent's browser build and worker); bound them anyway. */
const VENDOR_MAX_FILES = 16;
const CLIENT_BUNDLE_OPTIONS = 'client/bundle-options.json';
/** The esbuild define that keeps fault injection in the client (test builds) or drops it (production). */
const TEST_HOOKS_DEFINE = 'globalThis.__PEERCONNECT_TEST_HOOKS__';

/**
 * A browser entry bundled with the client's esbuild settings. `npm run build`
 * writes `dist/<name>/<name>.<hash>.js` and `dist/<name>/manifest.json`; the
 * same list is in scripts/build-client.mjs.
 */
export interface BrowserBuild {
  readonly name: string;
  /** Source entry, relative to the project root. */
  readonly entry: string;
}

export const CLIENT_BUILD: BrowserBuild = { name: 'client', entry: 'client/index.ts' };
export const DASHBOARD_BUILD: BrowserBuild = { name: 'dashboard', entry: 'proxy/dashboard/browser/dashboard.ts' };

export interface LoadBrowserCodeOptions {
  build: BrowserBuild;
  /** Project root holding the sources and `dist/` (default: found from this file). */
  root?: string;
  /** See `ClientBundleOptions.source`. @default 'auto' */
  source?: 'auto' | 'manifest' | 'bundle';
  /** See `ClientBundleOptions.testHooks`; always bundles from source when true. @default false */
  testHooks?: boolean;
}

interface ServedFile {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly br: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly cacheControl: string;
}

export interface ClientBundleOptions {
  prefix: string;
  router: P2pRouter;
  logger: Logger;
  /** Project root holding `client/` and `dist/` (default: found from this file). */
  root?: string;
  /**
   * Where the code comes from. `auto`: the build manifest when this module runs
   * compiled (from dist/), else an in-process esbuild bundle of the sources — so a
   * stale dist/ never shadows client code being edited. @default 'auto'
   */
  source?: 'auto' | 'manifest' | 'bundle';
  /**
   * Tests only: bundle the client from source with its fault injection compiled
   * in (`ClientConfig.fault`, honoured from any page's config block). Never set in
   * production, where the build drops that code. @default false
   */
  testHooks?: boolean;
}

/** True when this file runs as TypeScript (tsx in dev and tests), not from dist/. */
const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * Serves the browser client at `<prefix>/client.<hash>.js` with immutable
 * caching (and `<prefix>/client.js` for humans, revalidated). In production
 * (running from dist/) the code comes from `dist/client/manifest.json`, written
 * by `npm run build`; from source, or without a manifest, it is bundled
 * in-process with esbuild at start (esbuild is a devDependency, imported only
 * then). `addVendorFile` is the hook for
 * other browser files served the same way under `<prefix>/vendor/<name>`.
 */
export class ClientBundle implements Feature {
  readonly name = 'client-bundle';
  private client: ServedFile | undefined;
  private hash: string | undefined;
  private readonly vendor = new Map<string, ServedFile>();
  private readonly root: string;
  private started: Promise<void> | undefined;
  private loaded = false;

  constructor(private readonly options: ClientBundleOptions) {
    this.root = options.root ?? findProjectRoot();
    options.router.route('client.js', (req, res) => this.serve(req, res, this.client, 'no-cache'));
    options.router.route('vendor/', (req, res, ctx) => this.serve(req, res, this.vendor.get(ctx.subpath.slice('vendor/'.length))));
  }

  /** Path of the hashed bundle for `<script src>`; undefined until started or when no client could be built. */
  get scriptSrc(): string | undefined {
    return this.hash === undefined ? undefined : `${this.options.prefix}/client.${this.hash}.js`;
  }

  /** Ready once loading finished, with or without a client: the proxy serves pages either way. */
  ready(): boolean {
    return this.loaded;
  }

  start(): Promise<void> {
    this.started ??= this.load().finally(() => {
      this.loaded = true;
    });
    return this.started;
  }

  /** Serves `body` at `<prefix>/vendor/<name>`; name it by content hash if it is to be cached forever. */
  addVendorFile(name: string, body: Buffer, contentType: string, cacheControl = IMMUTABLE): void {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new TypeError(`vendor file name ${JSON.stringify(name)} is not a plain file name`);
    if (!this.vendor.has(name) && this.vendor.size >= VENDOR_MAX_FILES) throw new RangeError('too many vendor files');
    this.vendor.set(name, servedFile(body, contentType, cacheControl));
  }

  private async load(): Promise<void> {
    let code: Buffer | undefined;
    try {
      code = await loadBrowserCode({
        build: CLIENT_BUILD,
        root: this.root,
        source: this.options.source ?? 'auto',
        testHooks: this.options.testHooks ?? false,
      });
    } catch (err) {
      this.options.logger.error({ err }, 'client bundle unavailable: pages are proxied without the P2P client');
      return;
    }
    if (!code) {
      this.options.logger.warn({ entry: join(this.root, CLIENT_BUILD.entry) }, 'no client build and no client source: pages are proxied without the P2P client');
      return;
    }
    this.hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
    this.client = servedFile(code, 'text/javascript; charset=utf-8', IMMUTABLE);
    this.options.router.route(`client.${this.hash}.js`, (req, res) => this.serve(req, res, this.client));
  }

  private serve(req: IncomingMessage, res: ServerResponse, file: ServedFile | undefined, cacheControl?: string): void {
    if (!file) {
      return sendJsonError(res, 'PC_ERR_NOT_FOUND');
    }
    const headers: Record<string, string | number> = {
      'content-type': file.contentType,
      'cache-control': cacheControl ?? file.cacheControl,
      etag: file.etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const acceptEncoding = req.headers['accept-encoding'];
    let body = file.body;
    if (accepts(acceptEncoding, 'br')) {
      body = file.br;
      headers['content-encoding'] = 'br';
    } else if (accepts(acceptEncoding, 'gzip')) {
      body = file.gzip;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/**
 * The bundled code of `build`: from its build manifest when this module runs
 * compiled (from dist/) or `source` says so, else bundled in-process from
 * source with esbuild — the same settings as scripts/build-client.mjs, so dev and
 * production ship the same code. Undefined when there is neither a build nor a source.
 */
export async function loadBrowserCode(options: LoadBrowserCodeOptions): Promise<Buffer | undefined> {
  const root = options.root ?? findProjectRoot();
  const source = options.source ?? 'auto';
  const testHooks = options.testHooks ?? false;
  // The build in dist/ is the production one: a test build always comes from source.
  const useManifest = !testHooks && (source === 'manifest' || (source === 'auto' && !RUNNING_FROM_SOURCE));
  return (useManifest ? fromManifest(root, options.build) : undefined) ?? (await bundleFromSource(root, options.build, testHooks));
}

function fromManifest(root: string, build: BrowserBuild): Buffer | undefined {
  const manifestPath = join(root, 'dist', build.name, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { file?: unknown };
  if (typeof manifest.file !== 'string' || !new RegExp(`^${build.name}\\.[0-9a-f]{12}\\.js$`).test(manifest.file)) {
    throw new Error(`dist/${build.name}/manifest.json: unexpected file name`);
  }
  return readFileSync(join(dirname(manifestPath), manifest.file));
}

async function bundleFromSource(root: string, build: BrowserBuild, testHooks: boolean): Promise<Buffer | undefined> {
  const entry = join(root, build.entry);
  if (!existsSync(entry)) return undefined;
  // esbuild is a devDependency: imported only when bundling from source.
  const esbuild = await import('esbuild');
  const options = JSON.parse(readFileSync(join(findProjectRoot(), CLIENT_BUNDLE_OPTIONS), 'utf8')) as { define?: Record<string, string> };
  const result = await esbuild.build({
    ...options,
    define: { ...options.define, [TEST_HOOKS_DEFINE]: testHooks ? 'true' : 'false' },
    entryPoints: [entry],
    absWorkingDir: root,
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output');
  return Buffer.from(output.contents);
}

/**
 * Compressed variants of files already prepared in this process, by content: max
 * quality brotli of WebTorrent's 223 KB build takes about half a second, and every
 * server instance in a process (tests start many) serves the same few files.
 */
const preparedFiles = new Map<string, ServedFile>();
const PREPARED_FILES_MAX = 32;

function servedFile(body: Buffer, contentType: string, cacheControl: string): ServedFile {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const key = `${etag} ${contentType} ${cacheControl}`;
  const prepared = preparedFiles.get(key);
  if (prepared) return prepared;
  const file: ServedFile = {
    body,
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
    contentType,
    etag,
    cacheControl,
  };
  if (preparedFiles.size >= PREPARED_FILES_MAX) preparedFiles.delete(preparedFiles.keys().next().value as string);
  preparedFiles.set(key, file);
  return file;
}

/** The nearest directory above this file with a package.json (works from source and from dist/). */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return process.cwd();
}
