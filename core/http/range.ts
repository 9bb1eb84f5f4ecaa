/**
 * `Range` header parsing per RFC 9110 §14.1–14.2 for one representation of
 * `size` bytes. Pure: the webseed route and the edge cache turn the result into 200/206/416.
 */
export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export type RangeResult =
  /** No Range, an unknown unit or bad syntax: the field is ignored and the full body is sent. */
  | { type: 'ignore' }
  /** Syntactically valid but no range overlaps the representation: 416. */
  | { type: 'unsatisfiable' }
  | { type: 'ranges'; ranges: ByteRange[] };

/** More ranges than this (a classic amplification trick) and the header is ignored. */
export const MAX_RANGES = 16;
const MAX_HEADER_CHARS = 1024;

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined || header.length > MAX_HEADER_CHARS) return { type: 'ignore' };
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!match) return { type: 'ignore' };
  const specs = match[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length === 0 || specs.length > MAX_RANGES) return { type: 'ignore' };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return { type: 'ignore' };
    if (m[1] === '') {
      // suffix-range: the last N bytes
      const suffix = Number(m[2]);
      if (!Number.isSafeInteger(suffix)) return { type: 'ignore' };
      if (suffix === 0 || size === 0) continue;
      ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(m[1]);
    const last = m[2] === '' ? Number.POSITIVE_INFINITY : Number(m[2]);
    if (!Number.isSafeInteger(start) || (m[2] !== '' && !Number.isSafeInteger(last))) return { type: 'ignore' };
    if (last < start) return { type: 'ignore' };
    if (start >= size) continue;
    ranges.push({ start, end: Math.min(last, size - 1) });
  }
  if (ranges.length === 0) return { type: 'unsatisfiable' };
  return { type: 'ranges', ranges: coalesce(ranges) };
}

/** Overlapping or adjacent ranges are merged (RFC 9110 §14.2 allows it), in request order of first start. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  if (ranges.length === 1) return ranges;
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && r.start <= prev.end + 1) prev.end = Math.max(prev.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
