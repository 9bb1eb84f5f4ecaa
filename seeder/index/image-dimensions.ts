import { imageSize } from 'image-size';
import { MAX_IMAGE_DIMENSION } from '../../protocol/client-config.js';

/**
 * Bytes of an image's start kept for reading its dimensions: PNG, GIF, WebP and
 * BMP declare them in their first few dozen bytes; a JPEG's frame header
 * follows its EXIF block, which (with a thumbnail) is usually well below this.
 */
export const IMAGE_HEAD_BYTES = 128 * 1024;

/** EXIF orientations 5–8 turn the picture a quarter: browsers lay it out with width and height swapped. */
const QUARTER_TURNS = new Set([5, 6, 7, 8]);

/**
 * The intrinsic width and height an image's bytes declare (`image-size` on the
 * start of the body the seeder already fetched), as the browser will lay it
 * out; undefined when the format is unknown, the head is cut short or the
 * values are out of bounds.
 */
export function imageDimensions(head: Uint8Array): { width: number; height: number } | undefined {
  let result: { width?: number; height?: number; orientation?: number; images?: unknown[] };
  try {
    result = imageSize(head);
  } catch {
    return undefined;
  }
  // A multi-image file (ICO, CUR) is laid out by whichever image the browser picks: no promise to make.
  if (result.images && result.images.length > 1) return undefined;
  const swap = result.orientation !== undefined && QUARTER_TURNS.has(result.orientation);
  const width = swap ? result.height : result.width;
  const height = swap ? result.width : result.height;
  const valid = (n: number | undefined): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) <= MAX_IMAGE_DIMENSION;
  return valid(width) && valid(height) ? { width, height } : undefined;
}
