import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../../core/errors.js';
import { sendSocketError } from '../../core/http/error-response.js';
import type { Logger } from '../../core/logger.js';
import { originRequestHeaders, type ForwardedInfo } from './headers.js';

const UPGRADE_TIMEOUT_MS = 10_000;

/**
 * Passes a site's own WebSocket (or other Upgrade) through to the origin: replay
 * the handshake, relay the origin's 101 answer, then splice the two sockets.
 */
export function forwardUpgrade(
  origin: URL,
  req: IncomingMessage,
  clientSocket: Duplex,
  head: Buffer,
  info: ForwardedInfo,
  logger: Logger,
  /** CAs for an https origin (ORIGIN_CA_FILE plus the bundled roots); undefined: Node's defaults. */
  ca?: string[],
): void {
  const rawHeaders = originRequestHeaders(req, info, true);
  const headers: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) headers.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  headers.push(['host', origin.host]);

  // An https origin gets TLS with SNI and certificate verification, as the forwarder's undici pool does.
  const secure = origin.protocol === 'https:';
  const hostname = origin.hostname.replace(/^\[|\]$/g, '');
  const originReq = (secure ? httpsRequest : httpRequest)({
    host: hostname,
    port: origin.port || (secure ? 443 : 80),
    ...(secure ? { servername: isIP(hostname) === 0 ? hostname : '', rejectUnauthorized: true, ...(ca ? { ca } : {}), agent: false } : {}),
    method: req.method,
    path: req.url,
    headers: Object.fromEntries(groupHeaders(headers)),
    timeout: UPGRADE_TIMEOUT_MS,
  });

  let failed = false;
  const fail = (code: ErrorCode): void => {
    // A timeout destroys the request, which then also reports an error: answer once.
    if (failed) return;
    failed = true;
    sendSocketError(clientSocket, code);
  };

  originReq.on('timeout', () => {
    fail('PC_ERR_ORIGIN_TIMEOUT');
    originReq.destroy();
  });
  originReq.on('error', (err) => {
    logger.warn({ err: err.message, requestId: info.requestId }, 'upgrade to origin failed');
    fail('PC_ERR_ORIGIN_UNREACHABLE');
  });
  originReq.on('response', (res) => {
    // The origin declined the upgrade: relay its plain answer.
    let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`;
    for (let i = 0; i < res.rawHeaders.length; i += 2) head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
    clientSocket.write(head + '\r\n');
    res.pipe(clientSocket);
  });
  originReq.on('upgrade', (res, originSocket, originHead) => {
    let head101 = `HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}\r\n`;
    for (let i = 0; i < res.rawHeaders.length; i += 2) head101 += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
    clientSocket.write(head101 + '\r\n');
    if (originHead.length > 0) clientSocket.write(originHead);
    if (head.length > 0) originSocket.write(head);
    originSocket.setTimeout(0);
    originSocket.pipe(clientSocket).pipe(originSocket);
    const closeBoth = (): void => {
      originSocket.destroy();
      clientSocket.destroy();
    };
    originSocket.on('error', closeBoth);
    clientSocket.on('error', closeBoth);
    originSocket.on('close', closeBoth);
    clientSocket.on('close', closeBoth);
  });
  clientSocket.on('error', () => originReq.destroy());
  originReq.end();
}

function groupHeaders(pairs: [string, string][]): Map<string, string | string[]> {
  const map = new Map<string, string | string[]>();
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const prior = map.get(key);
    if (prior === undefined) map.set(key, value);
    else map.set(key, [prior, value].flat());
  }
  return map;
}
