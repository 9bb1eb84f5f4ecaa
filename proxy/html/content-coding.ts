import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

/** Codings the proxy can undo and redo. Node 20's zlib has no zstd: such bodies pass through untouched. */
export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The single coding of a Content-Encoding value, or undefined when it is unsupported or stacked. */
export function parseContentEncoding(value: string | string[] | number | undefined): Coding | undefined {
  if (value === undefined) return 'identity';
  const text = (Array.isArray(value) ? value.join(',') : String(value)).trim().toLowerCase();
  const codings = text.split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) return undefined;
  const coding = codings[0];
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  if (coding === 'deflate' || coding === 'br') return coding;
  return undefined;
}

/** Whether an Accept-Encoding value allows `coding` (q > 0, explicitly or by `*`). */
export function accepts(acceptEncoding: string | string[] | undefined, coding: Coding): boolean {
  if (coding === 'identity') return true;
  if (acceptEncoding === undefined) return false;
  const names = coding === 'gzip' ? ['gzip', 'x-gzip'] : [coding];
  let star: boolean | undefined;
  for (const part of [acceptEncoding].flat().join(',').split(',')) {
    const [rawName, ...params] = part.trim().toLowerCase().split(';');
    const name = rawName?.trim() ?? '';
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const ok = Number.isFinite(q) && q > 0;
    if (names.includes(name)) return ok;
    if (name === '*') star = ok;
  }
  return star ?? false;
}

/** Streaming decoders keep memory bounded however large the page; a bomb costs CPU time only. */
export function createDecoder(coding: Exclude<Coding, 'identity'>): Transform {
  if (coding === 'gzip') return zlib.createGunzip();
  if (coding === 'br') return zlib.createBrotliDecompress();
  return new DeflateDecoder();
}

/**
 * `deflate` is meant to be zlib-wrapped, but some servers send raw deflate:
 * the first byte tells (a zlib header has compression method 8 and a valid check).
 */
class DeflateDecoder extends Transform {
  private inner: Transform | undefined;
  private ended: TransformCallback | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.inner) {
      const wrapped = chunk.length >= 2 && ((chunk[0] as number) & 0x0f) === 8 && (((chunk[0] as number) << 8) | (chunk[1] as number)) % 31 === 0;
      this.inner = wrapped ? zlib.createInflate() : zlib.createInflateRaw();
      this.inner.on('data', (data: Buffer) => this.push(data));
      this.inner.on('error', (err) => this.destroy(err));
      this.inner.on('end', () => this.ended?.());
    }
    if (this.inner.write(chunk)) callback();
    else this.inner.once('drain', () => callback());
  }

  override _flush(callback: TransformCallback): void {
    if (!this.inner) return callback();
    this.ended = callback;
    this.inner.end();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy();
    callback(err);
  }
}

/**
 * Re-encodes, flushing after every chunk so the browser gets the page head (and
 * starts fetching scripts and images) without waiting for the whole body. The
 * flush costs a few bytes per chunk; chunks are input-sized (tens of KB).
 */
export function createEncoder(coding: Exclude<Coding, 'identity'>): Transform {
  if (coding === 'br') {
    return new FlushingEncoder(zlib.createBrotliCompress({
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT },
    }), zlib.constants.BROTLI_OPERATION_FLUSH);
  }
  const inner = coding === 'gzip' ? zlib.createGzip({ level: 6 }) : zlib.createDeflate({ level: 6 });
  return new FlushingEncoder(inner, zlib.constants.Z_SYNC_FLUSH);
}

class FlushingEncoder extends Transform {
  private ended: TransformCallback | undefined;

  constructor(private readonly inner: zlib.Gzip | zlib.Deflate | zlib.BrotliCompress, private readonly flushKind: number) {
    super();
    inner.on('data', (data: Buffer) => this.push(data));
    inner.on('error', (err) => this.destroy(err));
    inner.on('end', () => this.ended?.());
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.inner.write(chunk);
    this.inner.flush(this.flushKind, () => callback());
  }

  override _flush(callback: TransformCallback): void {
    this.ended = callback;
    this.inner.end();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(err);
  }
}
