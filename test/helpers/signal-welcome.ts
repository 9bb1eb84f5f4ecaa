import { WebSocket } from 'ws';
import { parseServerMessage, type WelcomeMessage } from '../../protocol/signal-messages.js';

const WELCOME_WAIT_MS = 5_000;

/** Opens `<base>/__p2p/signal` as a browser would and returns the server's first frame, the `welcome`. */
export async function firstWelcome(base: URL, headers: Record<string, string> = {}): Promise<{ raw: string; message: WelcomeMessage }> {
  const url = new URL('/__p2p/signal', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, { headers });
  try {
    const raw = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no welcome')), WELCOME_WAIT_MS);
      ws.once('message', (data) => {
        clearTimeout(timer);
        resolve(data.toString());
      });
      ws.once('error', reject);
    });
    const message = parseServerMessage(raw);
    if (message.type !== 'welcome') throw new Error(`first frame is ${message.type}, not welcome`);
    return { raw, message };
  } finally {
    ws.close();
  }
}
