import type { BrowserContext, Page } from 'playwright-core';

/*
 * Watches every RTCPeerConnection a page makes, from outside the client: an init
 * script wraps the constructor before any page script runs. Tests read which
 * candidates each connection gathered and received, its selected pair (getStats),
 * its state changes and when it failed or was closed, and when each tagged image
 * was handed back to HTTP — in ms since navigation (performance.now()).
 */

export interface WatchedPair {
  local: string;
  remote: string;
  /** Candidate addresses (an mDNS name or nothing where the browser hides it). */
  localAddress: string | null;
  remoteAddress: string | null;
  /** Seconds. */
  rtt: number | null;
}

export interface WatchedConnection {
  createdAt: number;
  /** `offerer` (this page asked for the link) or `answerer`, once a remote description was set. */
  role: 'offerer' | 'answerer' | null;
  /** `iceTransportPolicy` it was created with. */
  policy: string;
  /** URLs of its ICE servers. */
  iceServers: string[];
  /** `connectionState` / `iceConnectionState` changes. */
  states: Array<{ kind: 'connection' | 'ice'; state: string; at: number }>;
  /** First `failed` of either state, or null. */
  failedAt: number | null;
  /** When the page's code called close(), or null. */
  closedAt: number | null;
  connectedAt: number | null;
  /** Types of the candidates it gathered. */
  gathered: string[];
  /** Types of the candidates the remote side sent: in its SDP and trickled. */
  received: string[];
  /** `<type> <address>` of those candidates (mDNS names for hidden host addresses). */
  receivedFrom: string[];
  /** Selected pair, read with getStats when the connection became connected. */
  selected: WatchedPair | null;
}

export interface ImageRelease {
  /** The original URL the image went back to. */
  url: string;
  at: number;
}

export interface RtcWatch {
  connections: WatchedConnection[];
  /** Tagged images whose `src` was set to a non-blob URL after the page started (HTTP fallbacks). */
  released: ImageRelease[];
}

const INIT_SCRIPT = `(() => {
  if (window.__rtcWatch || typeof RTCPeerConnection !== 'function') return;
  const Native = RTCPeerConnection;
  const watch = { connections: [], released: [] };
  window.__rtcWatch = watch;
  const now = () => Math.round(performance.now());
  const typeOf = (line) => { const m = / typ ([a-z]+)/.exec(line || ''); return m ? m[1] : null; };
  const addressOf = (line) => (line || '').replace(/^a=/, '').split(' ')[4] || '';
  const selectedPair = async (pc) => {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
    if (!pair) stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
    return { local: local.candidateType, remote: remote.candidateType, localAddress: local.address ?? null, remoteAddress: remote.address ?? null, rtt: pair.currentRoundTripTime ?? null };
  };
  class WatchedPeerConnection extends Native {
    constructor(config, ...rest) {
      super(config, ...rest);
      const record = {
        createdAt: now(), role: null, policy: (config && config.iceTransportPolicy) || 'all',
        iceServers: ((config && config.iceServers) || []).flatMap((s) => [].concat(s.urls)),
        states: [], failedAt: null, closedAt: null, connectedAt: null, gathered: [], received: [], receivedFrom: [], selected: null,
      };
      watch.connections.push(record);
      this.__watch = record;
      const onState = (kind, state) => {
        record.states.push({ kind, state, at: now() });
        if (state === 'failed' && record.failedAt === null) record.failedAt = now();
      };
      this.addEventListener('connectionstatechange', () => {
        onState('connection', this.connectionState);
        if (this.connectionState === 'connected' && record.connectedAt === null) {
          record.connectedAt = now();
          const read = (tries) => selectedPair(this).then((pair) => {
            if (pair) record.selected = pair;
            else if (tries > 0) setTimeout(() => read(tries - 1), 100);
          }, () => undefined);
          read(20);
        }
      });
      this.addEventListener('iceconnectionstatechange', () => onState('ice', this.iceConnectionState));
      this.addEventListener('icecandidate', (event) => {
        const type = event.candidate && (event.candidate.type || typeOf(event.candidate.candidate));
        if (type) record.gathered.push(type);
      });
    }
    setRemoteDescription(description, ...rest) {
      const sdp = (description && description.sdp) || '';
      if (this.__watch.role === null && description) this.__watch.role = description.type === 'offer' ? 'answerer' : 'offerer';
      for (const line of sdp.split(/\\r?\\n/)) {
        if (!line.startsWith('a=candidate:')) continue;
        this.__watch.received.push(typeOf(line));
        this.__watch.receivedFrom.push(typeOf(line) + ' ' + addressOf(line));
      }
      return super.setRemoteDescription(description, ...rest);
    }
    addIceCandidate(candidate, ...rest) {
      const line = candidate && (typeof candidate === 'string' ? candidate : candidate.candidate);
      const type = typeOf(line);
      if (type) {
        this.__watch.received.push(type);
        this.__watch.receivedFrom.push(type + ' ' + addressOf(line));
      }
      return super.addIceCandidate(candidate, ...rest);
    }
    close() {
      if (this.__watch.closedAt === null) this.__watch.closedAt = now();
      return super.close();
    }
  }
  window.RTCPeerConnection = WatchedPeerConnection;
  // Tagged images going back to their original URL: the client's HTTP fallback.
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      const el = m.target;
      if (!(el instanceof HTMLImageElement) || !el.hasAttribute('data-p2p')) continue;
      const src = el.getAttribute('src') || '';
      if (src !== '' && !src.startsWith('blob:') && src !== m.oldValue) watch.released.push({ url: src, at: now() });
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['src'], attributeOldValue: true });
})()`;

/** Installs the watcher in every page of `context` (call before the first navigation). */
export async function watchRtc(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: INIT_SCRIPT });
}

export function rtcWatch(page: Page): Promise<RtcWatch> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __rtcWatch?: RtcWatch }).__rtcWatch ?? { connections: [], released: [] })) as RtcWatch);
}
