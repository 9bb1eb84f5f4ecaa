import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startApp, type RunningApp } from '../../proxy/app.js';
import { loadConfig } from '../../core/config/load-config.js';
import { createLogger } from '../../core/logger.js';

// The WebTorrent tracker protocol spoken by raw ws clients whose addresses come
// from a trusted X-Forwarded-For, so each "peer" sits in a known country.
const WAIT_MS = 5_000;
const ROUNDS = 5;

type TrackerMessage = Record<string, unknown>;

class TrackerPeer {
  readonly ws: WebSocket;
  readonly peerId = randomBytes(10).toString('hex');
  readonly offers: TrackerMessage[] = [];
  private readonly opened: Promise<void>;

  constructor(url: string, forwardedFor: string, private readonly infoHash: string) {
    this.ws = new WebSocket(url, { headers: { 'x-forwarded-for': forwardedFor } });
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as TrackerMessage;
      if (message.offer) this.offers.push(message);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  async sendRaw(data: string | Buffer): Promise<void> {
    await this.opened;
    this.ws.send(data);
  }

  /** Announces, offering `offers` connections; resolves on the tracker's answer. */
  async announce(offers: number, event = 'started'): Promise<TrackerMessage> {
    await this.opened;
    const answered = new Promise<TrackerMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no announce answer')), WAIT_MS);
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as TrackerMessage;
        if (message.offer) return;
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        resolve(message);
      };
      this.ws.on('message', onMessage);
    });
    this.ws.send(JSON.stringify({
      action: 'announce', event, left: 0, uploaded: 0, downloaded: 0,
      info_hash: Buffer.from(this.infoHash, 'hex').toString('latin1'),
      peer_id: this.peerId,
      numwant: offers,
      offers: Array.from({ length: offers }, () => ({
        offer: { type: 'offer', sdp: 'v=0' }, offer_id: randomBytes(10).toString('hex'),
      })),
    }));
    return answered;
  }
}

let app: RunningApp;
let torrentRoute: string;
const peers: TrackerPeer[] = [];

before(async () => {
  torrentRoute = await mkdtemp(join(tmpdir(), 'pc-tracker-geo-'));
  app = await startApp(loadConfig({}, {
    port: 0, host: '127.0.0.1', logLevel: 'silent', torrentRoute, seederMode: 'off', geoLocate: true, trustProxy: ['127.0.0.1'],
  }), createLogger('silent'));
});
after(async () => {
  for (const peer of peers) peer.ws.terminate();
  await app.close();
  await rm(torrentRoute, { recursive: true, force: true });
});

test('tracker sends a newcomer\'s offers to the closest peers: same /24, then same country', async () => {
  const manifest = await (await fetch(new URL('/__p2p/manifest?u=/media/demo.webm', app.url))).json() as { assets: { infoHash?: string }[] };
  const infoHash = manifest.assets[0]?.infoHash as string;
  assert.match(infoHash, /^[0-9a-f]{40}$/);
  const url = `ws://127.0.0.1:${app.url.port}/__p2p/tracker`;
  const connect = (address: string) => {
    const peer = new TrackerPeer(url, address, infoHash);
    peers.push(peer);
    return peer;
  };
  const far = connect('202.12.27.33');
  const sameCountry = connect('81.2.70.1');
  const sameSubnet = connect('81.2.69.7');
  for (const holder of [far, sameCountry, sameSubnet]) await holder.announce(0);

  // Random choice would hit the same /24 every round with probability (1/3)^ROUNDS.
  for (let round = 0; round < ROUNDS; round++) {
    const newcomer = connect('81.2.69.160');
    await newcomer.announce(1);
    // Leave again, so the next newcomer's closest peer is still only `sameSubnet`.
    await newcomer.announce(0, 'stopped');
  }
  const wait = Date.now() + WAIT_MS;
  while (sameSubnet.offers.length < ROUNDS && Date.now() < wait) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(sameSubnet.offers.length, ROUNDS, 'every single offer went to the same /24');
  assert.equal(sameCountry.offers.length + far.offers.length, 0);

  const another = connect('81.2.69.161');
  await another.announce(2);
  const wait2 = Date.now() + WAIT_MS;
  while (sameCountry.offers.length < 1 && Date.now() < wait2) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(sameCountry.offers.length, 1, 'the second offer went to the same country');
  assert.equal(far.offers.length, 0, 'nothing went abroad while closer peers were there');
});

test('malformed tracker frames are refused before the tracker library sees them; the tracker keeps serving', async () => {
  const manifest = await (await fetch(new URL('/__p2p/manifest?u=/media/demo.webm', app.url))).json() as { assets: { infoHash?: string }[] };
  const infoHash = manifest.assets[0]?.infoHash as string;
  const url = `ws://127.0.0.1:${app.url.port}/__p2p/tracker`;
  const holder = new TrackerPeer(url, '198.51.100.7', infoHash);
  const attacker = new TrackerPeer(url, '198.51.100.8', infoHash);
  peers.push(holder, attacker);
  await holder.announce(0);
  const binaryHash = Buffer.from(infoHash, 'hex').toString('latin1');
  const failures: string[] = [];
  attacker.ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as TrackerMessage;
    if (typeof message['failure reason'] === 'string') failures.push(message['failure reason']);
  });
  const frames = [
    // A null offer made the library throw inside a callback (an uncaught exception).
    { action: 'announce', info_hash: binaryHash, peer_id: 'a'.repeat(20), numwant: 1, offers: [null] },
    { action: 'announce', info_hash: binaryHash, peer_id: 'a'.repeat(20), offers: 'many' },
    { action: 'announce', info_hash: binaryHash, peer_id: 'a'.repeat(20), answer: { type: 'answer', sdp: 'v=0' } },
    { action: 'announce', info_hash: 'short', peer_id: 'a'.repeat(20) },
    { action: 'teleport' },
  ];
  for (const frame of frames) await attacker.sendRaw(JSON.stringify(frame));
  await attacker.sendRaw('{not json');
  const wait = Date.now() + WAIT_MS;
  while (failures.length < frames.length + 1 && Date.now() < wait) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(failures.length, frames.length + 1, `every bad frame answered: ${JSON.stringify(failures)}`);
  assert.equal(holder.offers.length, 0, 'no offer reached the holder');
  assert.ok(app.signaling.stats().tracker.invalidFrames >= frames.length + 1, 'invalid frames counted');

  // Still serving: a well-formed newcomer's offer reaches the holder.
  const newcomer = new TrackerPeer(url, '198.51.100.9', infoHash);
  peers.push(newcomer);
  await newcomer.announce(1);
  const wait2 = Date.now() + WAIT_MS;
  while (holder.offers.length === 0 && Date.now() < wait2) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(holder.offers.length >= 1, 'the tracker still relays offers');

  // Two more bad frames reach the limit: the attacker is cut off.
  const closed = new Promise<void>((resolve) => attacker.ws.once('close', () => resolve()));
  for (let i = 0; i < 4; i++) await attacker.sendRaw('junk');
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('attacker not closed')), WAIT_MS))]);
});
