import { RTCPeerConnection, RTCPeerConnectionIceEvent } from 'webrtc-polyfill';
import { preferPassiveDtls } from './channel-session.js';

/**
 * WebTorrent's tracker client (simple-peer, non-trickle) sends its offer/answer
 * only after the end-of-candidates event (`icecandidate` with a null candidate).
 * webrtc-polyfill never dispatches that event, so every connection waited for
 * simple-peer's 5 s fallback timer on each side. This patch dispatches it once
 * per connection, right after node-datachannel reports gathering complete.
 *
 * It patches the prototype of the single webrtc-polyfill instance that
 * simple-peer imports, so it applies to WebTorrent and the tracker client alike.
 * The same patch makes a polyfill answerer take the DTLS server role (see
 * preferPassiveDtls): otherwise two Node peers often lose a second to a dropped
 * DTLS ClientHello.
 */
const PATCHED = Symbol.for('peerconnect.iceCompleteFix');
const finished = new WeakSet<object>();

export const iceCompleteFixStats = {
  /** End-of-candidates events dispatched by the fix (lets tests assert it ran). */
  endOfCandidates: 0,
};

type Dispatch = (this: EventTarget, event: Event) => boolean;
type SetRemote = (this: unknown, description: { type?: string; sdp?: string }) => Promise<void>;

export function installIceCompleteFix(): void {
  const proto = RTCPeerConnection.prototype as unknown as Record<symbol | string, unknown> & {
    dispatchEvent: Dispatch;
    setRemoteDescription: SetRemote;
  };
  if (proto[PATCHED]) return;
  const original: Dispatch = proto.dispatchEvent;
  const IceEvent = RTCPeerConnectionIceEvent as unknown as new (candidate: null) => Event;
  proto.dispatchEvent = function dispatchEvent(this: EventTarget & { iceGatheringState?: string }, event: Event): boolean {
    const result = original.call(this, event);
    if (event.type === 'icegatheringstatechange' && this.iceGatheringState === 'complete' && !finished.has(this)) {
      finished.add(this);
      iceCompleteFixStats.endOfCandidates++;
      original.call(this, new IceEvent(null));
    }
    return result;
  };
  const setRemote: SetRemote = proto.setRemoteDescription;
  proto.setRemoteDescription = function setRemoteDescription(description) {
    if (description?.type === 'offer' && typeof description.sdp === 'string') {
      return setRemote.call(this, { type: 'offer', sdp: preferPassiveDtls(description.sdp) });
    }
    return setRemote.call(this, description);
  };
  proto[PATCHED] = true;
}

export function iceCompleteFixInstalled(): boolean {
  return (RTCPeerConnection.prototype as unknown as Record<symbol, unknown>)[PATCHED] === true;
}
