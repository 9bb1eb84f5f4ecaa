import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { LINK_BACKLOG_MS, LinkError, PeerLink, type PeerLinkOptions } from '../../client/peer/peer-link.js';
import { ASSET_ID_LENGTH } from '../../protocol/asset-id.js';
import type { ClientMessage } from '../../protocol/signal-messages.js';

/**
 * The libdatachannel offerer race (see openPair), exactly as libdatachannel words
 * it in PeerConnection::processRemoteCandidate; node-datachannel prefixes it with
 * "libdatachannel error while adding remote description: ".
 */
const OFFERER_RACE = /Got a remote candidate without ICE transport/;

/** Why setRemoteDescription failed, for every connection since the last reset. */
const remoteDescriptionErrors: string[] = [];

/**
 * node-datachannel's RTCPeerConnection, noting why setRemoteDescription failed:
 * PeerLink turns any negotiation error into a plain "negotiation failed", and
 * openPair must tell the known stack race from everything else.
 */
class RecordingPeerConnection extends RTCPeerConnection {
  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    try {
      await super.setRemoteDescription(description);
    } catch (err) {
      remoteDescriptionErrors.push(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }
}

// The client's link code runs unchanged on node-datachannel's RTCPeerConnection.
(globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection ??= RecordingPeerConnection;

const links: PeerLink[] = [];
after(() => {
  for (const link of links) link.close();
});

/**
 * The requester's connect deadline; how late its answer arrives (Infinity: never);
 * how late trickled candidates arrive each way, with none carried in the SDPs
 * (so ICE cannot start before them).
 */
interface Timing { deadlineMs?: number; answerDelayMs?: number; candidateDelayMs?: number }

const withoutCandidates = (sdp: string): string => sdp.replace(/a=candidate:.*\r\n/g, '');

/** Two links wired back to back through an in-memory "signaling" that relays by session. */
function pair(serve: PeerLinkOptions['serve'], fault?: PeerLinkOptions['fault'], timing: Timing = {}): { requester: PeerLink; holder: () => PeerLink | undefined } {
  let holder: PeerLink | undefined;
  const pendingToHolder: ClientMessage[] = [];
  const late = timing.candidateDelayMs;
  const toHolder = (m: ClientMessage): void => {
    if (m.type === 'candidate' && late !== undefined) {
      setTimeout(() => holder?.addCandidate(m.candidate, m.mid), late);
      return;
    }
    if (m.type === 'offer') {
      holder = new PeerLink({ remote: 'requester', session: m.session, initiator: false, iceServers: [], signal: toRequester, serve, onClosed: () => undefined, ...(fault ? { fault } : {}) });
      links.push(holder);
      holder.acceptOffer(late === undefined ? m.sdp : withoutCandidates(m.sdp));
      for (const queued of pendingToHolder.splice(0)) toHolder(queued);
    } else if (m.type === 'candidate') {
      if (holder) holder.addCandidate(m.candidate, m.mid);
      else pendingToHolder.push(m);
    }
  };
  const toRequester = (m: ClientMessage): void => {
    if (m.type === 'answer') {
      const sdp = late === undefined ? m.sdp : withoutCandidates(m.sdp);
      const delay = timing.answerDelayMs ?? 0;
      if (delay === 0) requester.acceptAnswer(sdp);
      else if (Number.isFinite(delay)) setTimeout(() => requester.acceptAnswer(sdp), delay);
    } else if (m.type === 'candidate') {
      if (late === undefined) requester.addCandidate(m.candidate, m.mid);
      else setTimeout(() => requester.addCandidate(m.candidate, m.mid), late);
    }
  };
  // Hold the offer until the requester's first candidate: libdatachannel as the
  // offerer (never the case in the product, where browsers offer) refuses an
  // answer that arrives before its ICE transport exists.
  let offer: ClientMessage | undefined;
  let transportReady = false;
  const fromRequester = (m: ClientMessage): void => {
    if (m.type === 'offer' && !transportReady) {
      offer = m;
      return;
    }
    if (m.type === 'candidate' && !transportReady) {
      transportReady = true;
      if (offer) toHolder(offer);
    }
    toHolder(m);
  };
  const requester = new PeerLink({
    remote: 'holder', session: 'sess1', initiator: true, iceServers: [],
    signal: (m) => setTimeout(() => fromRequester(m), 0), serve: () => ({ decline: 'not-held' }), onClosed: () => undefined,
    ...(timing.deadlineMs !== undefined ? { deadlineMs: timing.deadlineMs } : {}),
  });
  links.push(requester);
  return { requester, holder: () => holder };
}

const OPEN_ATTEMPTS = 3;
/** 1 GB/s: what tests that pipeline megabytes set on a fresh link, so the backlog limit for unmeasured links does not refuse them. */
const FAST_LINK_BYTES_PER_MS = 1_000_000;

/**
 * An open pair. libdatachannel as the offerer (never the case in the product,
 * where browsers offer) rarely refuses the answer with "Got a remote candidate
 * without ICE transport"; that stack race is not what these tests are about, so
 * only that refusal is retried with a fresh pair. Any other failure to open fails
 * the test.
 */
async function openPair(serve: PeerLinkOptions['serve'], fault?: PeerLinkOptions['fault'], timing: Timing = {}): Promise<PeerLink> {
  for (let attempt = 1; ; attempt++) {
    remoteDescriptionErrors.length = 0;
    const { requester, holder } = pair(serve, fault, timing);
    try {
      await requester.opened;
      return requester;
    } catch (err) {
      requester.close();
      holder()?.close();
      const raced = remoteDescriptionErrors.some((message) => OFFERER_RACE.test(message));
      if (!raced || attempt >= OPEN_ATTEMPTS) {
        throw new Error(`link did not open (attempt ${attempt}; setRemoteDescription errors: ${JSON.stringify(remoteDescriptionErrors)})`, { cause: err });
      }
    }
  }
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
/** A well-formed asset id (the wire parser refuses anything else) that still reads as its name. */
const idOf = (name: string): string => name.padEnd(ASSET_ID_LENGTH, '0');

test('pipelined requests over one link deliver exact bytes; unknown assets are declined', async () => {
  const assets = new Map(Array.from({ length: 12 }, (_, i) => [idOf(`asset${i}`), new Uint8Array(randomBytes(20_000 + i * 37_000))]));
  let done = 0;
  const requester = await openPair((asset) => {
    const bytes = assets.get(asset);
    return bytes ? { bytes, done: () => done++ } : { decline: 'not-held' };
  });
  // A link measured as fast (loopback): the whole burst fits its backlog limit (see the backlog tests below).
  requester.meter.bytesPerMs = FAST_LINK_BYTES_PER_MS;
  const results = await Promise.all([...assets].map(([id, bytes]) => requester.request(id, `/x/${id}`, bytes.length).promise));
  [...assets.values()].forEach((bytes, i) => assert.equal(sha(results[i] as Uint8Array), sha(bytes)));
  assert.equal(done, assets.size);
  await assert.rejects(requester.request(idOf('missing'), '/x/missing', 10).promise, (err: LinkError) => err.reason === 'peer-declined');
});

test('a header announcing another size than the manifest is a protocol violation', async () => {
  const requester = await openPair(() => ({ bytes: new Uint8Array(100) }));
  await assert.rejects(requester.request(idOf('a'), '/a', 99).promise, (err: LinkError) => err.reason === 'protocol-violation');
  assert.equal(requester.closed, true);
});

test('fault corrupt-bytes: bytes arrive but differ (the caller\'s hash check catches it)', async () => {
  const original = new Uint8Array(randomBytes(50_000));
  const requester = await openPair(() => ({ bytes: original }), 'corrupt-bytes');
  const received = await requester.request(idOf('a'), '/a', original.length).promise;
  assert.equal(received.length, original.length);
  assert.notEqual(sha(received), sha(original));
});

test('fault close-mid-transfer: pending requests fail with peer-closed', async () => {
  const requester = await openPair(() => ({ bytes: new Uint8Array(randomBytes(100_000)) }), 'close-mid-transfer');
  await assert.rejects(requester.request(idOf('a'), '/a', 100_000).promise, (err: LinkError) => err.reason === 'peer-closed');
});

test('cancel: the request rejects with the given reason and the link stays usable', async () => {
  const big = new Uint8Array(randomBytes(4 * 1024 * 1024));
  const small = new Uint8Array(randomBytes(1000));
  const requester = await openPair((asset) => ({ bytes: asset === idOf('big') ? big : small }));
  const pending = requester.request(idOf('big'), '/big', big.length);
  pending.cancel('timeout');
  await assert.rejects(pending.promise, (err: LinkError) => err.reason === 'timeout');
  const again = await requester.request(idOf('small'), '/small', small.length).promise;
  assert.equal(sha(again), sha(small));
});

test('pipelined requests are served one at a time in request order; the link measures connect time, round trip and throughput', async () => {
  const big = new Uint8Array(randomBytes(2 * 1024 * 1024));
  const small = new Uint8Array(randomBytes(20_000));
  const requester = await openPair((asset) => ({ bytes: asset === idOf('big') ? big : small }));
  assert.ok(requester.meter.connectMs !== undefined && requester.meter.connectMs > 0, 'connect time noted when the channel opened');
  requester.meter.bytesPerMs = FAST_LINK_BYTES_PER_MS;
  const finished: string[] = [];
  const first = requester.request(idOf('big'), '/big', big.length).promise.then((bytes) => {
    finished.push('big');
    return bytes;
  });
  const second = requester.request(idOf('small'), '/small', small.length).promise.then((bytes) => {
    finished.push('small');
    return bytes;
  });
  assert.equal(requester.queuedBytes, big.length + small.length, 'both requests count as bytes a new request would wait behind');
  const [bigBytes, smallBytes] = await Promise.all([first, second]);
  assert.equal(sha(bigBytes), sha(big));
  assert.equal(sha(smallBytes), sha(small));
  // Interleaved, the small image would finish long before the big one; served in order, it waits its turn.
  assert.deepEqual(finished, ['big', 'small']);
  assert.equal(requester.queuedBytes, 0);
  assert.ok(requester.meter.rttMs !== undefined && requester.meter.rttMs >= 0, 'the request sent on an idle link gave a round trip');
  assert.ok(requester.meter.bytesPerMs !== undefined && requester.meter.bytesPerMs > 0 && requester.meter.bytesPerMs !== FAST_LINK_BYTES_PER_MS, 'the completed transfers gave a throughput');
});

test('a link whose measured backlog is past LINK_BACKLOG_MS refuses a new request as declined (the image asks its next holder)', async () => {
  const bytes = new Uint8Array(randomBytes(64 * 1024));
  const requester = await openPair(() => ({ bytes }));
  await requester.request(idOf('a'), '/a', bytes.length).promise;
  // Measured as slow as 1 byte/ms: one more image queued on it is far past the backlog limit.
  requester.meter.bytesPerMs = 1;
  const accepted = requester.request(idOf('b'), '/b', bytes.length);
  assert.ok(requester.backlogMs() > LINK_BACKLOG_MS);
  await assert.rejects(requester.request(idOf('c'), '/c', bytes.length).promise, (err: LinkError) => err.reason === 'peer-declined' && err.message === 'link backlog');
  assert.equal(sha(await accepted.promise), sha(bytes), 'the request already accepted still completes');
  assert.equal(requester.backlogMs(), 0);
  assert.equal(sha(await requester.request(idOf('d'), '/d', bytes.length).promise), sha(bytes), 'accepted again once the backlog drained');
});

test('a link not measured yet takes a whole burst (no guessed rate refuses part of it)', async () => {
  const big = new Uint8Array(randomBytes(1024 * 1024));
  const requester = await openPair(() => ({ bytes: big }));
  assert.equal(requester.meter.bytesPerMs, undefined);
  const burst = Array.from({ length: 4 }, (_, i) => requester.request(idOf(`a${i}`), `/a${i}`, big.length).promise);
  for (const bytes of await Promise.all(burst)) assert.equal(sha(bytes), sha(big));
});

test('the connect deadline counts again from the answer: a late answer is not a failed ICE, a missing one is', async () => {
  // The answer comes 1.5 s in and ICE cannot start before 2.3 s (candidates held back): a 2 s deadline
  // from the link's creation would end it; counted again from the answer, it opens.
  const slow = await openPair(() => ({ decline: 'not-held' }), undefined, { deadlineMs: 2_000, answerDelayMs: 1_500, candidateDelayMs: 2_300 });
  assert.equal(slow.isOpen, true);
  const { requester, holder } = pair(() => ({ decline: 'not-held' }), undefined, { deadlineMs: 1_000, answerDelayMs: Number.POSITIVE_INFINITY });
  await assert.rejects(requester.opened, (err: LinkError) => err.reason === 'ice-failed');
  holder()?.close();
});
