import type { PeerConnection } from 'node-datachannel';

/** Every local candidate node-datachannel gathers on `pc` (a data channel starts gathering), once gathering completes. */
export function gatherCandidates(pc: PeerConnection, timeoutMs: number): Promise<string[]> {
  const candidates: string[] = [];
  return new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ICE gathering did not complete: ${candidates.join(' | ')}`)), timeoutMs);
    pc.onLocalCandidate((candidate) => candidates.push(candidate));
    pc.onGatheringStateChange((state) => {
      if (state !== 'complete') return;
      clearTimeout(timer);
      resolve(candidates);
    });
    pc.createDataChannel('probe');
  });
}
