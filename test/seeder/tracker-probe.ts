import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const ANSWER_WAIT_MS = 30_000;

/**
 * Asks the proxy's tracker, as a WebTorrent browser would, how many complete
 * peers a swarm has. It announces with no offers, so it never takes part in a
 * WebRTC handshake.
 */
export function trackerCompleteCount(proxy: URL, infoHash: string): Promise<number> {
  return trackerCompleteCountAt(new URL('/__p2p/tracker', proxy).href.replace(/^http/, 'ws'), infoHash);
}

/** The same question put to any WebTorrent tracker (ws:// URL), e.g. an external one. */
export async function trackerCompleteCountAt(trackerUrl: string, infoHash: string): Promise<number> {
  const ws = new WebSocket(trackerUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const answer = new Promise<{ complete?: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no announce answer')), ANSWER_WAIT_MS);
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { action?: string; complete?: number; offer?: unknown };
        if (message.action !== 'announce' || message.offer) return;
        clearTimeout(timer);
        resolve(message);
      });
    });
    ws.send(JSON.stringify({
      action: 'announce', event: 'started', left: 1, uploaded: 0, downloaded: 0, numwant: 0, offers: [],
      info_hash: Buffer.from(infoHash, 'hex').toString('latin1'), peer_id: randomBytes(10).toString('hex'),
    }));
    return (await answer).complete ?? 0;
  } finally {
    ws.close();
  }
}
