/**
 * Data-channel wire protocol between two peers (browser↔browser, browser↔seeder),
 * shared by the client and the seeder. One ordered, reliable channel per peer pair,
 * labelled PEER_CHANNEL_LABEL.
 *
 * - Control messages are JSON text frames (`PeerControlMessage`).
 * - Bytes travel in binary frames: a 12-byte header (u32 request id, u32 byte
 *   offset, u32 total size, big-endian) and up to CHUNK_PAYLOAD_BYTES of payload,
 *   so a frame never exceeds MAX_FRAME_BYTES (16 KiB, the size every WebRTC stack
 *   passes without fragmentation issues).
 * - The receiver verifies SHA-256 of the whole asset against the manifest before
 *   using it; the sender's word is never trusted.
 */
import { isAssetId } from './asset-id.js';

export const PEER_WIRE_VERSION = 1;
export const PEER_CHANNEL_LABEL = 'peerconnect/1';
export const MAX_FRAME_BYTES = 16 * 1024;
export const CHUNK_HEADER_BYTES = 12;
export const CHUNK_PAYLOAD_BYTES = MAX_FRAME_BYTES - CHUNK_HEADER_BYTES;
/** Sender pauses above this and resumes on `bufferedamountlow`. */
export const SEND_BUFFER_HIGH_BYTES = 1024 * 1024;
export const SEND_BUFFER_LOW_BYTES = 256 * 1024;
/** Requests a peer may have in flight on one channel. */
export const MAX_INFLIGHT_REQUESTS = 8;
const MAX_CONTROL_CHARS = 4096;
const MAX_ASSET_BYTES = 64 * 1024 * 1024;

/** Ask for one asset; `url` lets a holder that does not know the id (the seeder) look it up. */
export interface RequestMessage { v: 1; type: 'request'; req: number; asset: string; url: string }
/** Holder's answer before the bytes; `size` bytes follow in chunks. */
export interface ResponseHeaderMessage { v: 1; type: 'header'; req: number; size: number }
export interface DeclineMessage { v: 1; type: 'decline'; req: number; reason: DeclineReason }
export interface CancelMessage { v: 1; type: 'cancel'; req: number }

export type DeclineReason = 'not-held' | 'busy' | 'too-large' | 'bad-request' | 'closing';
export type PeerControlMessage = RequestMessage | ResponseHeaderMessage | DeclineMessage | CancelMessage;

export class PeerWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerWireError';
  }
}

function requestId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new PeerWireError('req: expected a 32-bit unsigned integer');
  }
  return value;
}

/** Pure parser of a control frame; throws PeerWireError on anything unexpected. */
export function parseControlMessage(raw: string): PeerControlMessage {
  if (raw.length > MAX_CONTROL_CHARS) throw new PeerWireError('control frame too large');
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new PeerWireError('control frame is not JSON');
  }
  if (m === null || typeof m !== 'object' || m.v !== PEER_WIRE_VERSION) throw new PeerWireError('unsupported version');
  switch (m.type) {
    case 'request':
      if (!isAssetId(m.asset)) throw new PeerWireError('asset: expected an asset id');
      if (typeof m.url !== 'string' || m.url.length > 2048) throw new PeerWireError('url: expected a string');
      return { v: 1, type: 'request', req: requestId(m.req), asset: m.asset, url: m.url };
    case 'header':
      if (typeof m.size !== 'number' || !Number.isInteger(m.size) || m.size < 0 || m.size > MAX_ASSET_BYTES) {
        throw new PeerWireError('size: out of range');
      }
      return { v: 1, type: 'header', req: requestId(m.req), size: m.size };
    case 'decline': {
      const reasons: DeclineReason[] = ['not-held', 'busy', 'too-large', 'bad-request', 'closing'];
      const reason = reasons.includes(m.reason as DeclineReason) ? (m.reason as DeclineReason) : 'bad-request';
      return { v: 1, type: 'decline', req: requestId(m.req), reason };
    }
    case 'cancel':
      return { v: 1, type: 'cancel', req: requestId(m.req) };
    default:
      throw new PeerWireError('unknown control type');
  }
}

export interface ChunkFrame {
  req: number;
  offset: number;
  total: number;
  payload: Uint8Array;
}

export function encodeChunk(req: number, offset: number, total: number, payload: Uint8Array): Uint8Array {
  if (payload.byteLength > CHUNK_PAYLOAD_BYTES) throw new PeerWireError('chunk payload too large');
  const frame = new Uint8Array(CHUNK_HEADER_BYTES + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, req);
  view.setUint32(4, offset);
  view.setUint32(8, total);
  frame.set(payload, CHUNK_HEADER_BYTES);
  return frame;
}

/** Pure parser of a binary frame; throws PeerWireError when the header is inconsistent. */
export function decodeChunk(frame: ArrayBuffer | Uint8Array): ChunkFrame {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.byteLength < CHUNK_HEADER_BYTES || bytes.byteLength > MAX_FRAME_BYTES) throw new PeerWireError('bad chunk length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const req = view.getUint32(0);
  const offset = view.getUint32(4);
  const total = view.getUint32(8);
  const payload = bytes.subarray(CHUNK_HEADER_BYTES);
  if (total > MAX_ASSET_BYTES || offset + payload.byteLength > total) throw new PeerWireError('chunk outside the asset');
  return { req, offset, total, payload };
}
