/**
 * Validation of WebTorrent tracker frames before bittorrent-tracker sees them.
 * The library trusts field shapes after JSON.parse (e.g. `offers[i].offer` on a
 * null entry throws inside a callback and would take the process down), so
 * every frame must match what WebTorrent actually sends. Pure; throws.
 */
export class TrackerMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrackerMessageError';
  }
}

/** Offers per announce: WebTorrent sends up to 10 (and the library caps numwant at 82). */
export const MAX_TRACKER_OFFERS = 20;
const MAX_SDP_CHARS = 32 * 1024;
const MAX_SCRAPE_HASHES = 64;
const EVENTS = new Set(['started', 'stopped', 'completed', 'update', 'paused', 'empty']);

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new TrackerMessageError(message);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** 20-byte binary string (info hash, peer id, offer id) as WebTorrent encodes it. */
function binary20(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length !== 20) fail(`${field}: expected 20 characters`);
}

function sdp(value: unknown, type: 'offer' | 'answer', field: string): void {
  if (!isObject(value) || value.type !== type || typeof value.sdp !== 'string' || value.sdp.length > MAX_SDP_CHARS) {
    fail(`${field}: expected { type: '${type}', sdp }`);
  }
}

function optionalNumber(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) fail(`${field}: expected a number`);
}

export function validateTrackerMessage(text: string): void {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  if (!isObject(message)) fail('expected an object');
  if (message.action === 'scrape') {
    const hashes = message.info_hash;
    if (hashes === undefined) return;
    const list = Array.isArray(hashes) ? hashes : [hashes];
    if (list.length > MAX_SCRAPE_HASHES) fail('info_hash: too many');
    list.forEach((hash, i) => binary20(hash, `info_hash[${i}]`));
    return;
  }
  if (message.action !== 'announce') fail('action: expected announce or scrape');
  binary20(message.info_hash, 'info_hash');
  binary20(message.peer_id, 'peer_id');
  if (message.event !== undefined && (typeof message.event !== 'string' || !EVENTS.has(message.event))) fail('event: unknown');
  for (const field of ['numwant', 'uploaded', 'downloaded'] as const) optionalNumber(message[field], field);
  if (message.left !== undefined && message.left !== null && typeof message.left !== 'number') fail('left: expected a number');
  if (message.offers !== undefined) {
    if (!Array.isArray(message.offers) || message.offers.length > MAX_TRACKER_OFFERS) fail(`offers: expected at most ${MAX_TRACKER_OFFERS}`);
    message.offers.forEach((entry: unknown, i) => {
      if (!isObject(entry)) fail(`offers[${i}]: expected an object`);
      binary20(entry.offer_id, `offers[${i}].offer_id`);
      sdp(entry.offer, 'offer', `offers[${i}].offer`);
    });
  }
  if (message.answer !== undefined) {
    sdp(message.answer, 'answer', 'answer');
    binary20(message.to_peer_id, 'to_peer_id');
    binary20(message.offer_id, 'offer_id');
  }
}
