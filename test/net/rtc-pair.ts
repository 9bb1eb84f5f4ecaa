import type { Page } from 'playwright-core';

/*
 * Plain WebRTC between two pages, with SDP carried by Playwright (no signaling server):
 * enough to see what the emulated internet lets through. Offer and answer are sent
 * once ICE gathering is complete (no trickle), so they carry every candidate.
 */

/** Gathering with STUN/TURN on the bed takes well under a second. */
export const GATHER_TIMEOUT_MS = 10_000;

export interface SelectedPair {
  local: string;
  remote: string;
  /** Seconds, from STUN consent checks on the pair. */
  rtt: number | null;
}

export interface PeerReport {
  /** `connectionState` changes, in ms since the peer was created. */
  states: Array<{ state: string; atMs: number }>;
  /** When the data channel opened, in ms since the peer was created. */
  openAtMs: number | null;
  /** Types of the candidates this peer gathered (`host`, `srflx`, `relay`). */
  gathered: string[];
  /** Addresses of its host candidates: `<uuid>.local` when mDNS hides them. */
  hostAddresses: string[];
  /** `icecandidateerror` events, e.g. 401 from a TURN server refusing a credential. */
  candidateErrors: Array<{ url: string; errorCode: number; errorText: string }>;
  selected: SelectedPair | null;
}

// Page-side code as a string: functions handed to page.evaluate would be compiled by
// tsx first and may reference its helpers, which do not exist in the page.
const PAGE_SCRIPT = `(() => {
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const report = { states: [], openAtMs: null, gathered: [], hostAddresses: [], candidateErrors: [], selected: null };
  let pc = null, channel = null;
  const messages = [];
  const watch = (dc) => {
    channel = dc;
    dc.binaryType = 'arraybuffer';
    dc.onopen = () => { report.openAtMs = since(); };
    dc.onmessage = (event) => messages.push(event.data);
  };
  const gathered = () => new Promise((resolve, reject) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(() => reject(new Error('ICE gathering not complete')), ${GATHER_TIMEOUT_MS});
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
    });
  });
  // Binary data crosses page.evaluate as base64 (about:blank has no crypto.subtle).
  const toBase64 = (bytes) => {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  window.__rtc = {
    init(config) {
      pc = new RTCPeerConnection(config);
      pc.onconnectionstatechange = () => report.states.push({ state: pc.connectionState, atMs: since() });
      pc.onicecandidate = (event) => {
        const c = event.candidate;
        if (!c || !c.type) return;
        report.gathered.push(c.type);
        if (c.type === 'host') report.hostAddresses.push(c.address);
      };
      pc.onicecandidateerror = (event) => report.candidateErrors.push({ url: event.url, errorCode: event.errorCode, errorText: event.errorText });
      pc.ondatachannel = (event) => watch(event.channel);
    },
    async offer() {
      watch(pc.createDataChannel('probe'));
      await pc.setLocalDescription(await pc.createOffer());
      await gathered();
      return pc.localDescription.sdp;
    },
    async answer(sdp) {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered();
      return pc.localDescription.sdp;
    },
    async accept(sdp) { await pc.setRemoteDescription({ type: 'answer', sdp }); },
    settled(timeoutMs) {
      return new Promise((resolve) => {
        const done = () => pc.connectionState === 'failed' || (pc.connectionState === 'connected' && report.openAtMs !== null);
        const deadline = performance.now() + timeoutMs;
        const poll = () => (done() || performance.now() > deadline) ? resolve(pc.connectionState) : setTimeout(poll, 20);
        poll();
      });
    },
    async report() {
      const stats = await pc.getStats();
      let pair = null;
      stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
      if (!pair) stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
      report.selected = pair ? {
        local: stats.get(pair.localCandidateId).candidateType,
        remote: stats.get(pair.remoteCandidateId).candidateType,
        rtt: pair.currentRoundTripTime ?? null,
      } : null;
      return report;
    },
    send(base64) { channel.send(fromBase64(base64)); },
    async received(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (messages.length === 0) {
        if (performance.now() > deadline) throw new Error('no message within ' + timeoutMs + ' ms');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return toBase64(new Uint8Array(messages.shift()));
    },
    close() { if (pc) pc.close(); },
  };
})()`;

export interface PairResult {
  /** Final `connectionState` of the offerer after the wait. */
  state: string;
  offerer: PeerReport;
  answerer: PeerReport;
}

/**
 * Creates a peer connection in each page, exchanges offer and answer, and waits up to
 * `timeoutMs` for both to be connected with the data channel open, or for `failed`.
 */
export async function connectPages(offerer: Page, answerer: Page, config: RTCConfiguration, timeoutMs: number): Promise<PairResult> {
  for (const page of [offerer, answerer]) {
    await page.evaluate(PAGE_SCRIPT);
    await page.evaluate((c) => (window as unknown as RtcWindow).__rtc.init(c), config);
  }
  const offer = await offerer.evaluate(() => (window as unknown as RtcWindow).__rtc.offer());
  const answer = await answerer.evaluate((sdp) => (window as unknown as RtcWindow).__rtc.answer(sdp), offer);
  await offerer.evaluate((sdp) => (window as unknown as RtcWindow).__rtc.accept(sdp), answer);
  const [state] = await Promise.all([offerer, answerer].map((page) => page.evaluate((ms) => (window as unknown as RtcWindow).__rtc.settled(ms), timeoutMs)));
  return { state: state ?? 'unknown', offerer: await peerReport(offerer), answerer: await peerReport(answerer) };
}

export function peerReport(page: Page): Promise<PeerReport> {
  return page.evaluate(() => (window as unknown as RtcWindow).__rtc.report());
}

/** Sends `payload` as one message over the open data channel; resolves with what the other page received. */
export async function sendThrough(from: Page, to: Page, payload: Buffer, timeoutMs: number): Promise<Buffer> {
  await from.evaluate((base64) => (window as unknown as RtcWindow).__rtc.send(base64), payload.toString('base64'));
  const received = await to.evaluate((ms) => (window as unknown as RtcWindow).__rtc.received(ms), timeoutMs);
  return Buffer.from(received, 'base64');
}

export function closePeer(page: Page): Promise<void> {
  return page.evaluate(() => (window as unknown as RtcWindow).__rtc?.close());
}

interface RtcWindow {
  __rtc: {
    init(config: RTCConfiguration): void;
    offer(): Promise<string>;
    answer(sdp: string): Promise<string>;
    accept(sdp: string): Promise<void>;
    settled(timeoutMs: number): Promise<string>;
    report(): Promise<PeerReport>;
    send(base64: string): void;
    received(timeoutMs: number): Promise<string>;
    close(): void;
  };
}
