import { Transform, type TransformCallback } from 'node:stream';
import { isAsciiCompatibleLabel, sniffBom } from './charset.js';
import { HtmlInjectorEngine, type InjectorStats } from './html-injector.js';
import { resolveInjectorOptions, type InjectorOptions, type ResolvedInjectorOptions } from './options.js';

/** The part of the engine the stream drives; tests wrap it to inject faults. */
export interface RewriteEngine {
  readonly stats: InjectorStats;
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<void>;
  free(): void;
}

export type EngineFactory = (options: ResolvedInjectorOptions, sink: (chunk: Uint8Array) => void, bomUtf8: boolean) => RewriteEngine;

/**
 * How much recent input is kept to recover from an engine failure: the bytes
 * lol-html holds back (an unfinished tag, at most) must be found in it.
 */
export const RECOVERY_WINDOW_BYTES = 256 * 1024;
/** Bytes of already-sent output used to find where the engine stopped in the input. */
const RECOVERY_PROBE_BYTES = 64;
const BOM_SNIFF_BYTES = 3;

export interface InjectorEvents {
  /** Called once when the engine failed and the rest of the page passes through untouched. */
  onFallback?(err: unknown): void;
}

export type InjectorStream = Transform & { readonly stats: InjectorStats; readonly failed: boolean };

/**
 * A streaming HTML transform: Buffers in, Buffers out, output flowing as input
 * arrives, memory bounded by the largest tag rather than the page. It tags
 * eligible media and injects the client once (see HtmlInjectorEngine).
 *
 * Fail-open: if the engine throws mid-stream, everything it already emitted
 * stays, and the remaining input bytes — including the ones it was still
 * holding — pass through unchanged, so the page still renders.
 */
export function createInjector(options: InjectorOptions, events: InjectorEvents = {}, engineFactory: EngineFactory = defaultEngine): InjectorStream {
  return new InjectorTransform(resolveInjectorOptions(options), events, engineFactory);
}

function defaultEngine(options: ResolvedInjectorOptions, sink: (chunk: Uint8Array) => void, bomUtf8: boolean): RewriteEngine {
  return new HtmlInjectorEngine(options, sink, bomUtf8);
}

const EMPTY_STATS: InjectorStats = Object.freeze({ tagged: 0, peer: 0, injected: false, errors: 0 }) as InjectorStats;

class InjectorTransform extends Transform {
  private engine: RewriteEngine | undefined;
  /** 'sniff' until the first bytes are seen; 'pass' when the page is not rewritten at all. */
  private state: 'sniff' | 'rewrite' | 'pass' = 'sniff';
  private head: Buffer = Buffer.alloc(0);
  private output: Uint8Array[] = [];
  /** Total length of `output`, so the concatenation needs no second pass to size it. */
  private outputBytes = 0;
  /** Tail of the input written to the engine, for recovery. */
  private recent: Buffer[] = [];
  private recentBytes = 0;
  /** Tail of the output already pushed, for recovery. */
  private lastOut: Buffer = Buffer.alloc(0);
  private fellBack = false;
  private pushedAny = false;

  constructor(
    private readonly options: ResolvedInjectorOptions,
    private readonly events: InjectorEvents,
    private readonly engineFactory: EngineFactory,
  ) {
    super();
    if (!isAsciiCompatibleLabel(options.charset)) this.state = 'pass';
  }

  get stats(): InjectorStats {
    return this.engine?.stats ?? EMPTY_STATS;
  }

  get failed(): boolean {
    return this.fellBack;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.state === 'pass') return callback(null, chunk);
    if (this.state === 'sniff') {
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      if (this.head.length < BOM_SNIFF_BYTES) return callback();
      chunk = this.startEngine();
      if (this.isPassing()) return callback(null, chunk);
    }
    this.feed(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.state === 'sniff') {
      const chunk = this.startEngine();
      if (this.isPassing()) {
        this.push(chunk);
        return callback();
      }
      this.feed(chunk).then(() => this.finish(callback), callback);
      return;
    }
    if (this.state === 'pass') return callback();
    this.finish(callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.engine?.free();
    callback(err);
  }

  /** A method, so the compiler does not narrow `state` across startEngine(). */
  private isPassing(): boolean {
    return this.state === 'pass';
  }

  /** Decides from the first bytes whether to rewrite; returns the bytes to process. */
  private startEngine(): Buffer {
    const head = this.head;
    this.head = Buffer.alloc(0);
    const bom = sniffBom(head);
    if (bom === 'utf-16le' || bom === 'utf-16be') {
      this.state = 'pass';
      return head;
    }
    this.state = 'rewrite';
    this.engine = this.engineFactory(this.options, (out) => {
      this.output.push(out);
      this.outputBytes += out.byteLength;
    }, bom === 'utf-8');
    return head;
  }

  private async feed(chunk: Buffer): Promise<void> {
    if (this.fellBack) {
      this.push(chunk);
      return;
    }
    this.remember(chunk);
    try {
      await (this.engine as RewriteEngine).write(chunk);
    } catch (err) {
      this.fallBack(err);
      return;
    }
    this.flushOutput();
  }

  private finish(callback: TransformCallback): void {
    if (this.fellBack || !this.engine) return callback();
    this.engine.end().then(
      () => {
        this.flushOutput();
        this.engine?.free();
        callback();
      },
      (err: unknown) => {
        this.fallBack(err);
        callback();
      },
    );
  }

  /**
   * One push per input chunk: lol-html emits many small pieces (each already a
   * copy out of wasm memory, so a single piece is wrapped, not copied again).
   */
  private flushOutput(): void {
    if (this.output.length === 0) return;
    const first = this.output[0] as Uint8Array;
    const out = this.output.length === 1 ? Buffer.from(first.buffer, first.byteOffset, first.byteLength) : Buffer.concat(this.output, this.outputBytes);
    this.outputBytes = 0;
    this.output = [];
    this.pushedAny = true;
    this.lastOut = out.length >= RECOVERY_PROBE_BYTES ? out.subarray(out.length - RECOVERY_PROBE_BYTES) : Buffer.concat([this.lastOut, out]).subarray(-RECOVERY_PROBE_BYTES);
    this.push(out);
  }

  private remember(chunk: Buffer): void {
    this.recent.push(chunk);
    this.recentBytes += chunk.length;
    while (this.recent.length > 1 && this.recentBytes - (this.recent[0] as Buffer).length >= RECOVERY_WINDOW_BYTES) {
      this.recentBytes -= (this.recent.shift() as Buffer).length;
    }
  }

  /**
   * Output already sent ends with bytes that are (nearly always) copied input:
   * find the last place the recent input holds them and resend what follows.
   * Partial output of the failed write is dropped first, since its extent in the
   * input is unknown; what was pushed before stays.
   */
  private fallBack(err: unknown): void {
    this.fellBack = true;
    this.output = [];
    this.outputBytes = 0;
    try {
      this.engine?.free();
    } catch {
      // A failed engine may not free cleanly; it is dropped either way.
    }
    const failedChunk = this.recent[this.recent.length - 1]?.length ?? 0;
    const recent = Buffer.concat(this.recent);
    this.recent = [];
    // Nothing sent yet: everything kept is unsent. Probe not found (the output
    // ended in markup we added): resend from the failed chunk on.
    let resumeAt = this.lastOut.length === 0 && this.recentBytes === recent.length && !this.pushedAny ? 0 : recent.length - failedChunk;
    if (this.lastOut.length > 0) {
      const at = recent.lastIndexOf(this.lastOut);
      if (at >= 0) resumeAt = at + this.lastOut.length;
    }
    this.events.onFallback?.(err);
    if (resumeAt < recent.length) this.push(recent.subarray(resumeAt));
  }
}
