import type { Readable } from 'node:stream';

/** One stored body: small ones in memory, large ones in a spill file. */
export type StoredBody =
  | { readonly kind: 'memory'; readonly size: number; readonly data: Buffer }
  | { readonly kind: 'file'; readonly size: number; readonly path: string };

/** Accumulates one body while it arrives from the origin. */
export interface BodySink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<StoredBody>;
  abort(): void;
}

/**
 * What the edge cache needs of a byte store: the composition root hands in the
 * seeder's byte cache through this, so both share one CACHE_MAX_BYTES bound and
 * one LRU, and proxy/ never imports seeder/.
 */
export interface BodyStore {
  readonly maxBytes: number;
  /** A lookup that refreshes recency. */
  get(key: string): StoredBody | undefined;
  /** False when the body can never fit. */
  set(key: string, body: StoredBody): boolean;
  delete(key: string): void;
  writer(): Promise<BodySink>;
  /** `[start, end]`, inclusive. */
  read(body: StoredBody, start: number, end: number): Readable | Buffer;
}
