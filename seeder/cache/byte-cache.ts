import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';

/** Bodies above this size go to a file in the cache directory instead of the heap. */
export const DEFAULT_SPILL_BYTES = 1024 * 1024;

export type CachedBody =
  | { readonly kind: 'memory'; readonly size: number; readonly data: Buffer }
  | { readonly kind: 'file'; readonly size: number; readonly path: string };

export interface ByteCacheOptions {
  /** Bound of all cached bytes, in memory and on disk together. */
  maxBytes: number;
  spillBytes?: number;
  /** Called whenever the total changes (for the cache gauge) and on every lookup. */
  onSize?: (bytes: number) => void;
  onLookup?: (result: 'hit' | 'miss') => void;
}

/**
 * The seeder's byte cache: an LRU bounded by total bytes, small bodies in memory,
 * large media in files under a temp directory of this process (removed on close),
 * so peers and the webseed are served without going back to the origin.
 */
export class ByteCache {
  readonly maxBytes: number;
  private readonly spillBytes: number;
  private readonly lru: LRUCache<string, CachedBody>;
  private dirPromise: Promise<string> | undefined;
  private fileCounter = 0;
  private closed = false;

  constructor(private readonly options: ByteCacheOptions) {
    this.maxBytes = options.maxBytes;
    this.spillBytes = options.spillBytes ?? DEFAULT_SPILL_BYTES;
    this.lru = new LRUCache<string, CachedBody>({
      maxSize: options.maxBytes,
      // lru-cache refuses size 0; an empty body still costs an entry.
      sizeCalculation: (body) => Math.max(1, body.size),
      dispose: (body) => {
        if (body.kind === 'file') void unlink(body.path).catch(() => undefined);
        this.reportSize();
      },
    });
  }

  get totalBytes(): number {
    return this.lru.calculatedSize;
  }

  get size(): number {
    return this.lru.size;
  }

  get(key: string): CachedBody | undefined {
    const body = this.lru.get(key);
    this.options.onLookup?.(body ? 'hit' : 'miss');
    return body;
  }

  /** A lookup that refreshes recency without counting in the seeder's hit/miss figures (the edge cache counts its own). */
  touch(key: string): CachedBody | undefined {
    return this.lru.get(key);
  }

  peek(key: string): CachedBody | undefined {
    return this.lru.peek(key);
  }

  /** Stores a body (evicting the least recently used); false when it can never fit. */
  set(key: string, body: CachedBody): boolean {
    if (this.closed || body.size > this.maxBytes) {
      discardBody(body);
      return false;
    }
    this.lru.set(key, body);
    this.reportSize();
    return true;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** A sink that keeps bytes in memory up to the spill size, then continues in a file. */
  async writer(): Promise<BodyWriter> {
    if (this.closed) throw new Error('cache closed');
    return new BodyWriter(this.spillBytes, async () => join(await this.dir(), `b${++this.fileCounter}`));
  }

  /** A file path for a body that must outlive cache eviction (seeded torrents); removed on close. */
  async pinnedPath(name: string): Promise<string> {
    return join(await this.dir(), `pin-${name}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lru.clear();
    const dir = await this.dirPromise?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private dir(): Promise<string> {
    this.dirPromise ??= mkdtemp(join(tmpdir(), 'peerconnect-cache-'));
    return this.dirPromise;
  }

  private reportSize(): void {
    this.options.onSize?.(this.lru.calculatedSize);
  }
}

/** Drops a body that was not stored (removes its file). */
export function discardBody(body: CachedBody): void {
  if (body.kind === 'file') void unlink(body.path).catch(() => undefined);
}

/** Reads `[start, end]` (inclusive) of a body as a stream. */
export function readRange(body: CachedBody, start: number, end: number): Readable | Buffer {
  if (body.kind === 'memory') return body.data.subarray(start, end + 1);
  return createReadStream(body.path, { start, end, highWaterMark: 64 * 1024 });
}

export async function readAll(body: CachedBody): Promise<Buffer> {
  return body.kind === 'memory' ? body.data : readFile(body.path);
}

/** Accumulates one body; switches from memory to a file once it passes the spill size. */
export class BodyWriter {
  private chunks: Buffer[] = [];
  private length = 0;
  private file: WriteStream | undefined;
  private path: string | undefined;
  private failed: Error | undefined;

  constructor(private readonly spillBytes: number, private readonly newPath: () => Promise<string>) {}

  get bytes(): number {
    return this.length;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    this.length += chunk.length;
    if (!this.file) {
      this.chunks.push(chunk);
      if (this.length <= this.spillBytes) return;
      this.path = await this.newPath();
      this.file = createWriteStream(this.path);
      this.file.on('error', (err) => { this.failed = err; });
      const pending = this.chunks;
      this.chunks = [];
      for (const c of pending) await this.push(c);
      return;
    }
    await this.push(chunk);
  }

  async end(): Promise<CachedBody> {
    if (this.failed) throw this.failed;
    if (!this.file || !this.path) return { kind: 'memory', size: this.length, data: Buffer.concat(this.chunks, this.length) };
    const file = this.file;
    await new Promise<void>((resolve, reject) => {
      file.once('error', reject);
      file.end(() => resolve());
    });
    if (this.failed) throw this.failed;
    return { kind: 'file', size: this.length, path: this.path };
  }

  abort(): void {
    this.chunks = [];
    if (this.file) {
      this.file.destroy();
      if (this.path) void unlink(this.path).catch(() => undefined);
    }
  }

  private async push(chunk: Buffer): Promise<void> {
    const file = this.file as WriteStream;
    if (!file.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => { file.off('drain', onDrain); reject(err); };
        const onDrain = (): void => { file.off('error', onError); resolve(); };
        file.once('drain', onDrain);
        file.once('error', onError);
      });
    }
  }
}
