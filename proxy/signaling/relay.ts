import {
  SIGNAL_PROTOCOL_VERSION, type AnswerMessage, type CandidateMessage, type OfferMessage, type PeerId,
} from '../../protocol/signal-messages.js';
import type { SignalSession } from './signal-session.js';
import type { MessageRefusal } from './strike-policy.js';

/** Finds a live session by peer id (the server's session table). */
export type SessionLookup = (id: PeerId) => SignalSession | undefined;

export type RelayedMessage = OfferMessage | AnswerMessage | CandidateMessage;

/** `peer` was handed to `session` as a holder, or the two are already exchanging SDP. */
export function isPairedWith(session: SignalSession, peer: PeerId): boolean {
  return session.offered.has(peer) || session.partners.has(peer);
}

/**
 * Forwards SDP/ICE only inside pairs the server made, so no peer can reach one
 * it was not given: an `offer` may go to a holder handed out by `want` (and
 * makes the two partners), `answer`/`candidate` only to a partner. The relayed
 * copy names the sender in `from`; `to` is not passed on.
 */
export function relay(session: SignalSession, message: RelayedMessage, lookup: SessionLookup): MessageRefusal | undefined {
  if (message.type === 'offer') {
    if (!isPairedWith(session, message.to)) return { reason: 'not-paired', message: 'offer only to a holder you were given' };
  } else if (!session.partners.has(message.to)) {
    return { reason: 'not-paired', message: `${message.type} only within a pair` };
  }
  const target = lookup(message.to);
  if (!target) return { reason: 'unknown-peer', message: 'that peer is gone' };
  const from = session.id;
  switch (message.type) {
    case 'offer':
      session.addPartner(target.id);
      target.addPartner(from);
      target.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'offer', from, session: message.session, sdp: message.sdp });
      break;
    case 'answer':
      target.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'answer', from, session: message.session, sdp: message.sdp });
      break;
    case 'candidate':
      target.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'candidate', from, session: message.session, candidate: message.candidate, mid: message.mid });
      break;
  }
  return undefined;
}

/** Ends every pair of a leaving session: each partner forgets it and hears `peer-gone`. */
export function unpair(session: SignalSession, lookup: SessionLookup): void {
  for (const id of session.partners) {
    const partner = lookup(id);
    if (!partner) continue;
    partner.partners.delete(session.id);
    partner.offered.delete(session.id);
    partner.send({ v: SIGNAL_PROTOCOL_VERSION, type: 'peer-gone', peer: session.id });
  }
  session.partners.clear();
  session.offered.clear();
}
