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
 * The same patch makes a polyfill answerer take the DTLS server role for offers
 * from browsers (see preferPassiveDtls), but not for offers from libdatachannel
 * (see answerOffer).
 */
const PATCHED = Symbol.for('peerconnect.iceCompleteFix');
/** libdatachannel writes its SDP origin as `o=rtc <session id> 0 IN IP4 127.0.0.1`; browsers write `o=-` or `o=mozilla...`. */
const LIBDATACHANNEL_ORIGIN = /^o=rtc /m;
/**
 * How long a polyfill answerer keeps a libdatachannel offerer's candidates to
 * itself (see answerOffer): well above the answer's trip through the tracker, and
 * only felt when the offerer cannot reach us and we have to check it first.
 */
export const HELD_CANDIDATES_MS = 500;

export interface AnsweredOffer {
  /** The offer to apply. */
  sdp: string;
  /** Candidates to add HELD_CANDIDATES_MS later (`candidate:` lines), under `mid`. */
  heldCandidates: string[];
  mid: string;
}

/**
 * How the polyfill answerer applies an offer. A browser's offer is read as
 * `active` (preferPassiveDtls), so we answer as the DTLS server.
 *
 * An offer from libdatachannel (a Node peer: WebTorrent on node-datachannel) is
 * applied without its candidates, which are added HELD_CANDIDATES_MS later, and
 * answered `active` (libdatachannel's default). libdatachannel's offerer starts
 * ICE with our answer before it stores the answer: libdatachannel 0.24.5
 * src/peerconnection.cpp PeerConnection::setRemoteDescription calls
 * `iceTransport->setRemoteDescription` (line 257) before
 * `impl()->processRemoteDescription` (line 259). When our connectivity checks
 * reached it before our answer did (they do: the answer goes through the
 * tracker), the pair they left is checked and ICE connects at once; DTLS then
 * reaches src/impl/peerconnection.cpp PeerConnection::checkFingerprint (line 446)
 * with no remote description yet, the certificate is refused ("certificate verify
 * failed", "DTLS alert: unknown CA"), the transports close and applying the answer
 * throws "Got a remote candidate without ICE transport": that wire never forms,
 * whichever side is the DTLS server. Holding our checks back leaves the offerer
 * nothing to check before its own `addRemoteCandidate` calls, which run after the
 * description is stored; it reaches us first, and our `active` hello then finds
 * its DTLS transport ready. Measured (two polyfill peers, answer delayed 1-6 ms,
 * loaded 2-core machine): answering as server 1-4 % refused, as client 0.4 %
 * refused and ~1 s for most (first hello dropped), held candidates + client 0 of
 * 450 refused, open 54 ms p50 after the answer.
 */
export function answerOffer(offerSdp: string): AnsweredOffer {
  if (!LIBDATACHANNEL_ORIGIN.test(offerSdp)) return { sdp: preferPassiveDtls(offerSdp), heldCandidates: [], mid: '0' };
  const eol = offerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = offerSdp.split(/\r?\n/);
  const mid = lines.find((line) => line.startsWith('a=mid:'))?.slice('a=mid:'.length) ?? '0';
  const heldCandidates = lines.filter((line) => line.startsWith('a=candidate:')).map((line) => line.slice('a='.length));
  const sdp = lines.filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates').join(eol);
  return { sdp, heldCandidates, mid };
}

const finished = new WeakSet<object>();

export const iceCompleteFixStats = {
  /** End-of-candidates events dispatched by the fix (lets tests assert it ran). */
  endOfCandidates: 0,
};

type Dispatch = (this: EventTarget, event: Event) => boolean;
type SetRemote = (this: PolyfillPeer, description: { type?: string; sdp?: string }) => Promise<void>;
interface PolyfillPeer {
  readonly connectionState: string;
  addIceCandidate(candidate: { candidate: string; sdpMid: string }): Promise<void>;
}

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
      const offer = answerOffer(description.sdp);
      const applied = setRemote.call(this, { type: 'offer', sdp: offer.sdp });
      if (offer.heldCandidates.length > 0) {
        void applied.then(() => setTimeout(() => addHeldCandidates(this, offer), HELD_CANDIDATES_MS).unref(), () => undefined);
      }
      return applied;
    }
    return setRemote.call(this, description);
  };
  proto[PATCHED] = true;
}

/** Once the offerer has had our answer: needed only if it could not reach us by now. */
function addHeldCandidates(pc: PolyfillPeer, offer: AnsweredOffer): void {
  try {
    if (pc.connectionState !== 'new' && pc.connectionState !== 'connecting') return;
    for (const candidate of offer.heldCandidates) {
      pc.addIceCandidate({ candidate, sdpMid: offer.mid }).catch(() => undefined);
    }
  } catch {
    // Closed meanwhile (node-datachannel throws on a destroyed connection): nothing to add.
  }
}

export function iceCompleteFixInstalled(): boolean {
  return (RTCPeerConnection.prototype as unknown as Record<symbol, unknown>)[PATCHED] === true;
}
