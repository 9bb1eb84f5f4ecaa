import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeDemoSite } from '../../proxy/demo/demo-site.js';

export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PROBE_INTERVAL_MS = 50;
const START_ATTEMPTS = 3;

export interface NginxOptions {
  /** Directory served as the document root. */
  root: string;
  /** Loopback port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Extra directives placed inside the `server { }` block (locations, headers…). */
  extraConfig?: string;
  /** Replaces the generated `server { }` block entirely (`{{port}}` and `{{root}}` are substituted). */
  serverBlock?: string;
  /** nginx `worker_connections`: raise it when the proxy may open more origin connections than that (a soak). @default 256 */
  workerConnections?: number;
}

export interface RunningNginx {
  url: URL;
  /** nginx access log (combined format); removed with the temp dir by stop(). */
  accessLogPath: string;
  errorLogPath: string;
  /** Idempotent: SIGQUIT (graceful), then SIGKILL after a deadline; removes the temp dir. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback (the listener is closed before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

// A small inline type map keeps the helper independent of the host's /etc/nginx.
const MIME_TYPES = `types {
    text/html html htm;
    text/css css;
    application/javascript js mjs;
    application/json json;
    image/png png;
    image/jpeg jpg jpeg;
    image/gif gif;
    image/webp webp;
    image/avif avif;
    image/svg+xml svg;
    image/x-icon ico;
    video/webm webm;
    video/mp4 mp4;
    audio/ogg ogg oga;
    audio/mpeg mp3;
    text/plain txt;
  }
  default_type application/octet-stream;`;

function buildConfig(dir: string, root: string, port: number, options: NginxOptions): string {
  const server = options.serverBlock
    ? options.serverBlock.replaceAll('{{port}}', String(port)).replaceAll('{{root}}', root)
    : `server {
    listen 127.0.0.1:${port};
    server_name _;
    root ${root};
    index index.html;
    etag on;
    ${options.extraConfig ?? ''}
  }`;
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events { worker_connections ${options.workerConnections ?? 256}; }
http {
  ${MIME_TYPES}
  access_log ${join(dir, 'access.log')};
  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
  sendfile on;
  keepalive_timeout 5;
  ${server}
}
`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once('error', () => resolveProbe(false));
  });
}

async function waitListening(child: ChildProcess, port: number, errorLog: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(errorLog, 'utf8').catch(() => '');
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before listening:\n${log.slice(-2000)}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    kill.unref();
    child.once('exit', () => {
      clearTimeout(kill);
      resolveStop();
    });
    child.kill('SIGQUIT');
  });
}

/**
 * Runs the real Debian nginx as a child of the test (no daemon, no master, every
 * path inside a temp dir) serving `root` on a loopback port.
 */
/** The built-in demo site written into a fresh temporary folder (an nginx `root`); returns its path. */
export async function demoSiteRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await writeDemoSite(root);
  return root;
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const root = resolve(options.root);
  let lastError: unknown;
  // A picked free port can be taken between picking and binding: retry a few times.
  for (let attempt = 0; attempt < (options.port === undefined ? START_ATTEMPTS : 1); attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'peerconnect-nginx-'));
    await mkdir(join(dir, 'tmp'), { recursive: true });
    const port = options.port ?? (await freePort());
    const confPath = join(dir, 'nginx.conf');
    const errorLogPath = join(dir, 'error.log');
    const accessLogPath = join(dir, 'access.log');
    await writeFile(confPath, buildConfig(dir, root, port, options));
    const child = spawn(NGINX_PATH, ['-p', dir, '-c', confPath, '-e', errorLogPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString();
    });
    const spawned = new Promise<void>((res, rej) => {
      child.once('spawn', res);
      child.once('error', rej);
    });
    try {
      await spawned;
      await waitListening(child, port, errorLogPath);
    } catch (err) {
      lastError = new Error(`${(err as Error).message}\n${stderr}`);
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    let stopping: Promise<void> | undefined;
    return {
      url: new URL(`http://127.0.0.1:${port}/`),
      accessLogPath,
      errorLogPath,
      stop() {
        stopping ??= stopChild(child).then(() => rm(dir, { recursive: true, force: true }));
        return stopping;
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error('nginx failed to start');
}
