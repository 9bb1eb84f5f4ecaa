import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TRACKER_OFFERS, TrackerMessageError, validateTrackerMessage } from '../../proxy/signaling/tracker-message.js';

const hash = 'h'.repeat(20);
const peer = 'p'.repeat(20);
const offer = (i: number) => ({ offer: { type: 'offer', sdp: 'v=0' }, offer_id: String(i).padStart(20, 'o') });

test('tracker frames as WebTorrent sends them pass', () => {
  validateTrackerMessage(JSON.stringify({
    action: 'announce', info_hash: hash, peer_id: peer, event: 'started', numwant: 5, uploaded: 0, downloaded: 0, left: null,
    offers: [offer(1), offer(2)],
  }));
  validateTrackerMessage(JSON.stringify({
    action: 'announce', info_hash: hash, peer_id: peer, answer: { type: 'answer', sdp: 'v=0' }, offer_id: 'o'.repeat(20), to_peer_id: 'q'.repeat(20),
  }));
  validateTrackerMessage(JSON.stringify({ action: 'scrape', info_hash: [hash, hash] }));
  validateTrackerMessage(JSON.stringify({ action: 'scrape' }));
});

test('tracker frames the library would choke on are refused', () => {
  const bad = [
    'nope', '[]', '{"action":"announce"}',
    JSON.stringify({ action: 'announce', info_hash: hash, peer_id: peer, offers: [null] }),
    JSON.stringify({ action: 'announce', info_hash: hash, peer_id: peer, offers: [{ offer: 'x', offer_id: 'o'.repeat(20) }] }),
    JSON.stringify({ action: 'announce', info_hash: hash, peer_id: peer, offers: Array.from({ length: MAX_TRACKER_OFFERS + 1 }, (_, i) => offer(i)) }),
    JSON.stringify({ action: 'announce', info_hash: hash, peer_id: peer, answer: { type: 'answer', sdp: 'v=0' } }),
    JSON.stringify({ action: 'announce', info_hash: hash, peer_id: peer, event: 'explode' }),
    JSON.stringify({ action: 'announce', info_hash: hash, peer_id: peer, numwant: -1 }),
    JSON.stringify({ action: 'scrape', info_hash: [42] }),
  ];
  for (const frame of bad) assert.throws(() => validateTrackerMessage(frame), TrackerMessageError, frame.slice(0, 80));
});
