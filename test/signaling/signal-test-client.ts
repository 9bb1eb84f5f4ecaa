import { WebSocket } from 'ws';
import { SIGNAL_PROTOCOL_VERSION, parseServerMessage, type ServerMessage } from '../../protocol/signal-messages.js';

export const WAIT_MS = 5_000;

type Outgoing = Record<string, unknown>;

/**
 * A `ws` signaling peer for tests: queues every server message and lets a test
 * wait (bounded) for the next one matching a predicate.
 */
export class SignalTestClient {
  readonly ws: WebSocket;
  readonly received: ServerMessage[] = [];
  id = '';
  closeCode: number | undefined;
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  private readonly closed: Promise<number>;

  private constructor(url: string, headers: Record<string, string>) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data) => {
      const message = parseServerMessage(data.toString());
      const index = this.waiters.findIndex((w) => w.match(message));
      if (index >= 0) {
        const [waiter] = this.waiters.splice(index, 1);
        waiter?.resolve(message);
      } else {
        this.received.push(message);
      }
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.on('close', (code) => {
      this.closeCode = code;
      resolve(code);
    }));
  }

  /** Connects and waits for `welcome`. */
  static async connect(base: URL, options: { path?: string; forwardedFor?: string } = {}): Promise<SignalTestClient> {
    const url = new URL(options.path ?? '/__p2p/signal', base);
    url.protocol = 'ws:';
    const client = new SignalTestClient(url.href, options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {});
    const welcome = await client.next('welcome');
    if (welcome.type === 'welcome') client.id = welcome.id;
    return client;
  }

  send(message: Outgoing): void {
    this.ws.send(JSON.stringify({ v: SIGNAL_PROTOCOL_VERSION, ...message }));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** The next message of `type` (already received or arriving within WAIT_MS). */
  next<T extends ServerMessage['type']>(type: T, match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = WAIT_MS): Promise<Extract<ServerMessage, { type: T }>> {
    const test = (m: ServerMessage): boolean => m.type === type && match(m as Extract<ServerMessage, { type: T }>);
    const queued = this.received.findIndex(test);
    if (queued >= 0) return Promise.resolve(this.received.splice(queued, 1)[0] as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter = { match: test, resolve: (m: ServerMessage) => {
        clearTimeout(timer);
        resolve(m as Extract<ServerMessage, { type: T }>);
      } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${type} message within ${timeoutMs} ms (got ${JSON.stringify(this.received.map((m) => m.type))})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Asks for holders of one asset and returns their ids. */
  async holders(asset: string): Promise<string[]> {
    this.send({ type: 'want', assets: [asset] });
    return (await this.next('holders', (m) => m.asset === asset)).peers;
  }

  /** Resolves with the close code, or rejects after `timeoutMs`. */
  waitClosed(timeoutMs = WAIT_MS): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.closed,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error('socket not closed in time')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Opens a raw ws to the signal endpoint and resolves with the HTTP status of a refusal, or 101. */
export function upgradeStatus(base: URL, path = '/__p2p/signal'): Promise<{ status: number; code?: string; ws: WebSocket }> {
  const url = new URL(path, base);
  url.protocol = 'ws:';
  const ws = new WebSocket(url.href);
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no upgrade answer')), WAIT_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ status: 101, ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      const code = res.headers['x-peerconnect-error'];
      resolve({ status: res.statusCode ?? 0, ...(typeof code === 'string' ? { code } : {}), ws });
    });
  });
}
