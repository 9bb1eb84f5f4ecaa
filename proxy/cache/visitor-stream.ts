import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';

/** True when the visitor's response can take more, or is gone; false when it took nothing for `stallMs`. Leaves no listener or timer behind. */
export function drained(res: ServerResponse, stallMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Already gone: 'close' has fired (or is about to without a listener that counts).
    if (res.destroyed || res.writableEnded) {
      resolve(true);
      return;
    }
    const settle = (result: boolean): void => {
      clearTimeout(timer);
      res.off('drain', done);
      res.off('close', done);
      resolve(result);
    };
    const done = (): void => settle(true);
    const timer = setTimeout(() => settle(false), stallMs);
    res.on('drain', done);
    res.on('close', done);
  });
}

/** An unstored response goes to the visitor as the forwarder would send it. */
export async function relay(req: IncomingMessage, res: ServerResponse, statusCode: number, headers: OutgoingHttpHeaders, body: Dispatcher.ResponseData['body']): Promise<void> {
  res.writeHead(statusCode, headers);
  if (req.method === 'HEAD' || statusCode === 204 || statusCode === 304) {
    body.resume();
    res.end();
    return;
  }
  try {
    await pipeline(body, res);
  } catch {
    if (!res.destroyed) res.destroy();
  }
}
