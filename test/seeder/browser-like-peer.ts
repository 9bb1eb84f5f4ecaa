import { PeerConnection, type DataChannel } from 'node-datachannel';
import { WebSocket } from 'ws';
import {
  PEER_CHANNEL_LABEL, decodeChunk, parseControlMessage, type PeerControlMessage,
} from '../../protocol/peer-wire.js';
import { parseServerMessage, type ServerMessage } from '../../protocol/signal-messages.js';

export const PEER_WAIT_MS = 15_000;
const MAX_ATTEMPTS = 3;

/**
 * What a browser does to get one image from a holder, in Node: signaling over a
 * WebSocket, a node-datachannel PeerConnection as the offerer with the
 * PEER_CHANNEL_LABEL data channel, then the peer-wire request/response.
 */
export class BrowserLikePeer {
  readonly ws: WebSocket;
  id = '';
  private readonly queue: ServerMessage[] = [];
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  private readonly pcs = new Set<PeerConnection>();
  /** node-datachannel channels must stay referenced while in use. */
  private readonly channels = new Set<DataChannel>();

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const message = parseServerMessage(data.toString());
      const i = this.waiters.findIndex((w) => w.match(message));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message);
      else if (this.queue.length < 256) this.queue.push(message);
    });
  }

  static async connect(proxy: URL): Promise<BrowserLikePeer> {
    const url = new URL('/__p2p/signal', proxy);
    url.protocol = 'ws:';
    const peer = new BrowserLikePeer(url.href);
    await new Promise<void>((resolve, reject) => {
      peer.ws.once('open', () => resolve());
      peer.ws.once('error', reject);
    });
    peer.send({ type: 'hello', role: 'browser', page: proxy.href });
    const welcome = await peer.next((m) => m.type === 'welcome');
    if (welcome.type === 'welcome') peer.id = welcome.id;
    return peer;
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ v: 1, ...message }));
  }

  next(match: (m: ServerMessage) => boolean, timeoutMs = PEER_WAIT_MS): Promise<ServerMessage> {
    const i = this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (m: ServerMessage) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`signaling message not received within ${timeoutMs} ms`));
      }, timeoutMs);
      // The trickle loop keeps one wait pending for the peer's whole life: it must not hold the process.
      timer.unref();
      this.waiters.push(waiter);
    });
  }

  async holders(asset: string): Promise<string[]> {
    this.send({ type: 'want', assets: [asset] });
    const m = await this.next((x) => x.type === 'holders' && x.asset === asset);
    return m.type === 'holders' ? m.peers : [];
  }

  /**
   * Connects to `holder` and fetches one asset; returns the bytes and the setup time.
   * A libdatachannel offerer (not a browser) can lose a race inside its own
   * setRemoteDescription when ICE completes while the answer is being applied: it
   * closes with "remote candidate without ICE transport". That is the test peer's
   * stack, not the seeder, so the helper retries with a new session, as the client
   * would try again, and reports how many attempts it took.
   */
  async fetch(holder: string, asset: string, url: string, onBytes?: (received: number) => void): Promise<{ bytes: Buffer; setupMs: number; header: PeerControlMessage; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ...(await this.fetchOnce(holder, asset, url, onBytes)), attempts: attempt };
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !/Got a remote candidate without ICE transport/.test(String(err))) throw err;
        // Signaling pairs an asker with a holder per `want`: ask again, as a client would.
        await this.holders(asset);
      }
    }
  }

  private async fetchOnce(holder: string, asset: string, url: string, onBytes?: (received: number) => void): Promise<{ bytes: Buffer; setupMs: number; header: PeerControlMessage }> {
    const session = `s${Math.random().toString(36).slice(2, 10)}`;
    const started = performance.now();
    const pc = new PeerConnection(`test-${session}`, { iceServers: [] });
    this.pcs.add(pc);
    const gathered = new Promise<void>((resolve) => {
      pc.onGatheringStateChange((state) => { if (state === 'complete') resolve(); });
    });
    // Creating the channel makes node-datachannel produce the offer (auto negotiation), as a browser would.
    const dc = pc.createDataChannel(PEER_CHANNEL_LABEL);
    this.channels.add(dc);
    const opened = new Promise<void>((resolve) => dc.onOpen(() => resolve()));
    await withTimeout(gathered, 'local ICE gathering');
    this.send({ type: 'offer', to: holder, session, sdp: pc.localDescription()!.sdp });
    const answer = await this.next((m) => m.type === 'answer' && m.session === session);
    if (answer.type !== 'answer') throw new Error('no answer');
    pc.setRemoteDescription(answer.sdp, 'answer');
    const onCandidate = (m: ServerMessage): boolean => m.type === 'candidate' && m.session === session;
    void (async () => {
      for (;;) {
        const c = await this.next(onCandidate, PEER_WAIT_MS).catch(() => undefined);
        if (!c || c.type !== 'candidate') return;
        try {
          pc.addRemoteCandidate(c.candidate, c.mid);
        } catch {
          // closed meanwhile
        }
      }
    })();
    await withTimeout(opened, 'data channel open');
    const setupMs = performance.now() - started;

    const result = await withTimeout(new Promise<{ bytes: Buffer; header: PeerControlMessage }>((resolve, reject) => {
      let header: PeerControlMessage | undefined;
      let received = 0;
      let body: Buffer | undefined;
      dc.onMessage((data) => {
        if (typeof data === 'string') {
          header = parseControlMessage(data);
          if (header.type === 'decline') return reject(new Error(`declined: ${header.reason}`));
          if (header.type === 'header') {
            body = Buffer.alloc(header.size);
            if (header.size === 0) resolve({ bytes: body, header });
          }
          return;
        }
        const frame = decodeChunk(data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        if (!body || !header) return reject(new Error('chunk before header'));
        body.set(frame.payload, frame.offset);
        received += frame.payload.byteLength;
        onBytes?.(received);
        if (received === body.length) resolve({ bytes: body, header });
      });
      // A holder that vanishes mid-transfer closes the channel: fail now, as a browser's client would.
      dc.onClosed(() => reject(new Error(`channel closed after ${received} bytes`)));
      dc.sendMessage(JSON.stringify({ v: 1, type: 'request', req: 1, asset, url }));
    }), 'asset bytes');
    return { ...result, setupMs };
  }

  close(): void {
    for (const dc of this.channels) dc.close();
    for (const pc of this.pcs) pc.close();
    this.channels.clear();
    this.pcs.clear();
    this.ws.terminate();
  }
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = PEER_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
