import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PEBBLE = '/usr/bin/pebble';
const START_TIMEOUT_MS = 15_000;

/** A free loopback TCP port (closed again; the caller binds it soon after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PebbleOptions {
  /** The port pebble fetches HTTP-01 tokens from (`http://<name>:<httpPort>/.well-known/acme-challenge/…`). */
  httpPort: number;
}

/**
 * Debian's pebble (the ACME test CA) on loopback. Debian ships no test
 * certificates: its HTTPS listener gets a self-signed localhost/127.0.0.1
 * certificate made with openssl, which ACME clients trust through `listenerCaFile`.
 * PEBBLE_VA_ALWAYS_VALID stays unset, so every HTTP-01 token is really fetched.
 */
export class Pebble {
  readonly dir = mkdtempSync(join(tmpdir(), 'pc-pebble-'));
  /** The listener's self-signed certificate: the trust for the directory's HTTPS (ACME_CA_FILE). */
  readonly listenerCaFile = join(this.dir, 'listener.pem');
  private readonly listenerKeyFile = join(this.dir, 'listener.key');
  private child: ChildProcess | undefined;
  private output = '';
  directoryUrl = '';
  private managementUrl = '';

  constructor(private readonly options: PebbleOptions) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', this.listenerKeyFile, '-out', this.listenerCaFile, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
  }

  async start(): Promise<void> {
    const [port, managementPort] = [await freePort(), await freePort()];
    const configFile = join(this.dir, 'pebble.json');
    writeFileSync(configFile, JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: this.listenerCaFile,
        privateKey: this.listenerKeyFile,
        httpPort: this.options.httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }));
    this.directoryUrl = `https://127.0.0.1:${port}/dir`;
    this.managementUrl = `https://127.0.0.1:${managementPort}`;
    // No random VA sleeps; no deliberately rejected nonces (5% by default), which would only add retries.
    const env: NodeJS.ProcessEnv = { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' };
    delete env.PEBBLE_VA_ALWAYS_VALID;
    const child = spawn(PEBBLE, ['-config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pebble did not start within ${START_TIMEOUT_MS} ms:\n${this.output}`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('Listening on') && this.output.includes('Root CA certificate available at')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pebble exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Everything pebble logged so far. */
  get log(): string {
    return this.output;
  }

  /** New orders pebble received (its log has one line per POST to new-order). */
  get orders(): number {
    return this.output.split('\n').filter((line) => /POST \/order-plz/.test(line)).length;
  }

  /** The root this pebble run issues under (regenerated at every start), from the management port. */
  async root(): Promise<string> {
    const ca = readFileSync(this.listenerCaFile);
    return new Promise((resolve, reject) => {
      request(`${this.managementUrl}/roots/0`, { agent: new Agent({ ca }) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`roots/0: ${res.statusCode}`))));
      }).on('error', reject).end();
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
