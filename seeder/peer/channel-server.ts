import type { DataChannel } from 'node-datachannel';
import {
  CHUNK_PAYLOAD_BYTES, MAX_INFLIGHT_REQUESTS, PEER_WIRE_VERSION, PeerWireError, SEND_BUFFER_HIGH_BYTES,
  SEND_BUFFER_LOW_BYTES, encodeChunk, parseControlMessage, type DeclineReason, type PeerControlMessage,
} from '../../protocol/peer-wire.js';
import { readRange, type CachedBody } from '../cache/byte-cache.js';
import type { AssetOpenResult } from './asset-source.js';
import type { UploadBudget } from './upload-budget.js';

/** A channel that stays above the high-water mark this long is considered stuck and closed. */
export const DRAIN_TIMEOUT_MS = 15_000;
/** Protocol violations tolerated before the channel is closed. */
const MAX_VIOLATIONS = 3;

export interface ChannelServerOptions {
  open: (asset: string, url: string) => Promise<AssetOpenResult>;
  budget: UploadBudget;
  onBytes?: (bytes: number) => void;
  onWarning?: (message: string) => void;
  onClose?: () => void;
}

/**
 * Serves one peer's data channel (wire protocol of protocol/peer-wire.ts):
 * request → header → chunks, one request sent at a time, at most
 * MAX_INFLIGHT_REQUESTS queued, paced by the upload budget and by bufferedAmount.
 */
export class ChannelServer {
  private readonly queue: { req: number; asset: string; url: string }[] = [];
  private readonly cancelled = new Set<number>();
  private drainWaiters: (() => void)[] = [];
  private sending = false;
  private violations = 0;
  destroyed = false;

  constructor(private readonly dc: DataChannel, private readonly options: ChannelServerOptions) {
    dc.setBufferedAmountLowThreshold(SEND_BUFFER_LOW_BYTES);
    dc.onBufferedAmountLow(() => this.wakeDrainWaiters());
    dc.onMessage((msg) => this.onMessage(msg));
    dc.onClosed(() => this.destroy());
    dc.onError((err) => {
      options.onWarning?.(`data channel error: ${err}`);
      this.destroy();
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.queue.length = 0;
    this.wakeDrainWaiters();
    try {
      this.dc.close();
    } catch {
      // already closed
    }
    this.options.onClose?.();
  }

  private onMessage(msg: string | Buffer | ArrayBuffer): void {
    if (this.destroyed) return;
    if (typeof msg !== 'string') return this.violation('binary frame from the requesting peer');
    let message: PeerControlMessage;
    try {
      message = parseControlMessage(msg);
    } catch (err) {
      return this.violation(err instanceof PeerWireError ? err.message : 'bad control frame');
    }
    switch (message.type) {
      case 'request':
        if (this.queue.length + (this.sending ? 1 : 0) >= MAX_INFLIGHT_REQUESTS) return this.decline(message.req, 'busy');
        this.cancelled.delete(message.req);
        this.queue.push({ req: message.req, asset: message.asset, url: message.url });
        void this.pump();
        return;
      case 'cancel':
        if (this.cancelled.size < MAX_INFLIGHT_REQUESTS * 4) this.cancelled.add(message.req);
        return;
      default:
        // header/decline only travel from holder to requester.
        return this.violation(`unexpected ${message.type}`);
    }
  }

  private violation(reason: string): void {
    this.options.onWarning?.(`peer protocol violation: ${reason}`);
    if (++this.violations >= MAX_VIOLATIONS) this.destroy();
  }

  private decline(req: number, reason: DeclineReason): void {
    this.sendControl({ v: PEER_WIRE_VERSION, type: 'decline', req, reason });
  }

  private sendControl(message: PeerControlMessage): void {
    if (this.destroyed || !this.dc.isOpen()) return;
    this.dc.sendMessage(JSON.stringify(message));
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (!this.destroyed && this.queue.length > 0) {
        const next = this.queue.shift()!;
        await this.serve(next.req, next.asset, next.url);
      }
    } catch (err) {
      this.options.onWarning?.(`send failed: ${(err as Error).message}`);
      this.destroy();
    } finally {
      this.sending = false;
    }
  }

  private async serve(req: number, asset: string, url: string): Promise<void> {
    if (this.cancelled.delete(req)) return;
    const opened = await this.options.open(asset, url);
    if (this.destroyed) return;
    if ('decline' in opened) return this.decline(req, opened.decline);
    const { body } = opened;
    this.sendControl({ v: PEER_WIRE_VERSION, type: 'header', req, size: body.size });
    let offset = 0;
    for await (const payload of chunksOf(body)) {
      if (this.destroyed) return;
      if (this.cancelled.delete(req)) return;
      await this.waitForBudget(payload.length);
      await this.waitForDrain();
      if (this.destroyed || !this.dc.isOpen()) return;
      this.dc.sendMessageBinary(encodeChunk(req, offset, body.size, payload));
      offset += payload.length;
      this.options.onBytes?.(payload.length);
    }
  }

  private async waitForBudget(bytes: number): Promise<void> {
    for (;;) {
      const wait = this.options.budget.take(bytes);
      if (wait === 0 || this.destroyed) return;
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
    }
  }

  private waitForDrain(): Promise<void> {
    if (this.destroyed || this.dc.bufferedAmount() <= SEND_BUFFER_HIGH_BYTES) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.options.onWarning?.('data channel did not drain');
        this.destroy();
      }, DRAIN_TIMEOUT_MS);
      timer.unref();
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** The body cut into wire payloads of at most CHUNK_PAYLOAD_BYTES. */
async function* chunksOf(body: CachedBody): AsyncGenerator<Uint8Array> {
  if (body.size === 0) return;
  const source = readRange(body, 0, body.size - 1);
  if (Buffer.isBuffer(source)) {
    for (let i = 0; i < source.length; i += CHUNK_PAYLOAD_BYTES) yield source.subarray(i, i + CHUNK_PAYLOAD_BYTES);
    return;
  }
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= CHUNK_PAYLOAD_BYTES) {
      yield pending.subarray(0, CHUNK_PAYLOAD_BYTES);
      pending = pending.subarray(CHUNK_PAYLOAD_BYTES);
    }
  }
  if (pending.length > 0) yield pending;
}
