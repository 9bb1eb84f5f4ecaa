import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import nodeDataChannel, { PeerConnection, type DataChannel } from 'node-datachannel';
import { ASSET_ID_LENGTH } from '../../protocol/asset-id.js';
import { PEER_CHANNEL_LABEL, decodeChunk, parseControlMessage } from '../../protocol/peer-wire.js';
import type { ClientMessage } from '../../protocol/signal-messages.js';
import { HeadlessPeer } from '../../seeder/peer/headless-peer.js';
import { within } from '../helpers/wait.js';
import { pseudoRandomBytes, sha256 } from './counting-origin.js';

const WAIT_MS = 10_000;
const ASSET = pseudoRandomBytes(100_000, 4);

after(() => nodeDataChannel.cleanup());


/** A minimal in-test SDP exchange: an offerer PeerConnection talking to HeadlessPeer.handle directly. */
async function offerer(name: string): Promise<{ pc: PeerConnection; dc: DataChannel; sdp: string }> {
  const pc = new PeerConnection(name, { iceServers: [] });
  const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => { if (s === 'complete') resolve(); }));
  const dc = pc.createDataChannel(PEER_CHANNEL_LABEL);
  await within(gathered, 'gathering', WAIT_MS);
  return { pc, dc, sdp: pc.localDescription()!.sdp };
}

test('the seeder answers up to seederMaxPeers offers, serves the bytes, and close() ends every channel', async () => {
  const sent: ClientMessage[] = [];
  let onAnswer: ((m: ClientMessage) => void) | undefined;
  const peer = new HeadlessPeer({
    open: async () => ({ body: { kind: 'memory', size: ASSET.length, data: ASSET }, sha256: sha256(ASSET) }),
    iceServers: [], uploadBytesPerSec: 50 * 1024 * 1024, maxPeers: 1,
  });
  const send = (m: ClientMessage): void => {
    sent.push(m);
    onAnswer?.(m);
  };
  const second = await offerer('second');
  // A libdatachannel offerer (this test's, not a browser) can lose a race inside its own
  // setRemoteDescription ("remote candidate without ICE transport"): retry with a new session.
  let first: Awaited<ReturnType<typeof offerer>> | undefined;
  const offerers: PeerConnection[] = [second.pc];
  try {
    for (let attempt = 1; ; attempt++) {
      const candidate = await offerer(`first-${attempt}`);
      offerers.push(candidate.pc);
      const session = `s${attempt}`;
      const answered = new Promise<ClientMessage>((resolve) => {
        onAnswer = (m) => { if (m.type === 'answer' && m.session === session) resolve(m); };
      });
      peer.handle({ v: 1, type: 'offer', from: 'browserA', session, sdp: candidate.sdp }, send);
      peer.handle({ v: 1, type: 'offer', from: 'browserB', session: `b${attempt}`, sdp: second.sdp }, send);
      assert.equal(peer.sessionCount, 1);
      const answer = await within(answered, 'answer', WAIT_MS);
      assert.ok(answer.type === 'answer' && answer.to === 'browserA');
      try {
        candidate.pc.setRemoteDescription(answer.sdp, 'answer');
      } catch (err) {
        if (attempt >= 3 || !/Got a remote candidate without ICE transport/.test(String(err))) throw err;
        peer.handle({ v: 1, type: 'peer-gone', peer: 'browserA' }, send);
        continue;
      }
      first = candidate;
      break;
    }
    await within(new Promise<void>((resolve) => first!.dc.onOpen(() => resolve())), 'channel open', WAIT_MS);

    const bytes = await within(new Promise<Buffer>((resolve, reject) => {
      let body: Buffer | undefined;
      let received = 0;
      first!.dc.onMessage((data) => {
        if (typeof data === 'string') {
          const m = parseControlMessage(data);
          if (m.type === 'header') body = Buffer.alloc(m.size);
          else reject(new Error(`unexpected ${m.type}`));
          return;
        }
        const frame = decodeChunk(new Uint8Array(data as Buffer));
        body!.set(frame.payload, frame.offset);
        received += frame.payload.byteLength;
        if (received === body!.length) resolve(body!);
      });
      first!.dc.sendMessage(JSON.stringify({ v: 1, type: 'request', req: 7, asset: 'abc'.padEnd(ASSET_ID_LENGTH, '0'), url: 'http://site.test/a.png' }));
    }), 'asset bytes', WAIT_MS);
    assert.equal(sha256(bytes), sha256(ASSET));
    assert.ok(sent.every((m) => !('to' in m) || m.to === 'browserA'), 'nothing sent to the peer over the limit');

    const closed = new Promise<void>((resolve) => first!.dc.onClosed(() => resolve()));
    peer.close();
    peer.close();
    await within(closed, 'channel closed by the seeder', WAIT_MS);
    assert.equal(peer.sessionCount, 0);
  } finally {
    peer.close();
    for (const pc of offerers) pc.close();
  }
});
