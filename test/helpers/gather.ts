import type { PeerConnection } from 'node-datachannel';

/** How long native callbacks get to drain after a PeerConnection closes, before nodeDataChannel.cleanup(). */
export const NATIVE_DRAIN_MS = 200;

/**
 * Every local candidate node-datachannel gathers on `pc` (a data channel starts gathering), once gathering completes.
 * The probe channel is closed before this resolves: a channel left open when the connection closes and
 * `cleanup()` runs was seen to corrupt the native heap (malloc abort) or hang the process.
 */
export function gatherCandidates(pc: PeerConnection, timeoutMs: number): Promise<string[]> {
  const candidates: string[] = [];
  const channel = pc.createDataChannel('probe');
  return new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.close();
      reject(new Error(`ICE gathering did not complete: ${candidates.join(' | ')}`));
    }, timeoutMs);
    pc.onLocalCandidate((candidate) => candidates.push(candidate));
    pc.onGatheringStateChange((state) => {
      if (state !== 'complete') return;
      clearTimeout(timer);
      channel.close();
      resolve(candidates);
    });
  });
}

/** Closes `pc` and waits for its native callbacks to drain, so a later `cleanup()` finds nothing in flight. */
export async function closeAndDrain(pc: PeerConnection): Promise<void> {
  pc.close();
  await new Promise((resolve) => setTimeout(resolve, NATIVE_DRAIN_MS));
}
