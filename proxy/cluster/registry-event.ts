import { z } from 'zod';
import type { PeerRecord } from '../signaling/peer-registry.js';

/** Longest id/asset string accepted from the shared store (signaling ids are 16 chars, asset ids shorter than this). */
const MAX_ID_CHARS = 128;
/** Assets in one have/lost event: a client message carries at most 512. */
const MAX_EVENT_ASSETS = 4_096;

const id = z.string().min(1).max(MAX_ID_CHARS);
const assets = z.array(id).max(MAX_EVENT_ASSETS);

export const peerRecordSchema = z.object({
  id,
  role: z.enum(['browser', 'seeder']),
  network: z.string().max(MAX_ID_CHARS),
  country: z.string().max(8).optional(),
  asn: z.number().int().nonnegative().optional(),
});

export const heldSchema = assets;

const eventSchema = z.discriminatedUnion('e', [
  z.object({ i: id, e: z.literal('join'), peer: peerRecordSchema }),
  z.object({ i: id, e: z.literal('leave'), id }),
  z.object({ i: id, e: z.literal('have'), id, assets }),
  z.object({ i: id, e: z.literal('lost'), id, assets }),
  z.object({ i: id, e: z.literal('gone') }),
  z.object({ i: id, e: z.literal('hello') }),
]);

/** One change to the shared registry, published by the instance `i` that made it. */
export type RegistryEvent =
  | { i: string; e: 'join'; peer: PeerRecord }
  | { i: string; e: 'leave'; id: string }
  | { i: string; e: 'have'; id: string; assets: string[] }
  | { i: string; e: 'lost'; id: string; assets: string[] }
  | { i: string; e: 'gone' }
  | { i: string; e: 'hello' };

/** Parses one event from the events channel; throws on anything else. */
export function parseRegistryEvent(payload: string): RegistryEvent {
  return eventSchema.parse(JSON.parse(payload)) as RegistryEvent;
}

/** Parses a stored peer record (HASH value); throws on anything else. */
export function parsePeerRecord(payload: string): PeerRecord {
  return peerRecordSchema.parse(JSON.parse(payload)) as PeerRecord;
}

/** Parses a stored holdings list (HASH value); throws on anything else. */
export function parseHeld(payload: string): string[] {
  return heldSchema.parse(JSON.parse(payload));
}
