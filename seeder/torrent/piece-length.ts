/** Smallest piece: one WebTorrent block, so the first frame of a short clip arrives after one piece. */
export const MIN_PIECE_BYTES = 16 * 1024;
export const MAX_PIECE_BYTES = 1024 * 1024;
/** Aim for about this many pieces: small enough pieces to start playback fast, few enough to keep the torrent small. */
const TARGET_PIECES = 1024;

/**
 * Piece size for streaming: a power of two between 16 KiB and 1 MiB, near
 * size / 1024 (a 400 KB clip gets 16 KiB pieces, 20 MB gets 32 KiB, 1 GB gets 1 MiB).
 * Deterministic in the size alone, so the info hash is stable across restarts.
 */
export function pieceLengthFor(size: number): number {
  let piece = MIN_PIECE_BYTES;
  while (piece < MAX_PIECE_BYTES && piece * TARGET_PIECES < size) piece *= 2;
  return piece;
}
