import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { escapeHtml } from '../utils/escape-html.js';

/** Every error answer names its catalog code here, whatever its body, so logs and clients can match on it. */
export const ERROR_CODE_HEADER = 'x-peerconnect-error';

export interface JsonErrorExtras {
  /** Headers the status needs (Allow for 405, Content-Range for 416, WWW-Authenticate for 401…); they win over the defaults. */
  headers?: OutgoingHttpHeaders;
  /** More top-level fields beside `error` and `message` (the manifest keeps its `assets`). */
  fields?: Record<string, unknown>;
}

/** Answers with a small self-contained HTML error page (or ends the stream if headers left already). */
export function sendErrorPage(res: ServerResponse, code: ErrorCode, requestId: string, detail?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, message } = ERROR_CODES[code];
  const title = `${status} ${escapeHtml(message)}`;
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}code{color:#666}</style>
</head><body><h1>${title}</h1>
<p>${escapeHtml(detail ?? 'Please try again in a moment.')}</p>
<p><code>${escapeHtml(code)} · request ${escapeHtml(requestId)}</code></p>
</body></html>
`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    [ERROR_CODE_HEADER]: code,
  });
  res.end(body);
}

/** JSON error answer for /__p2p API routes: `{ error: <code>, message, ...fields }`. */
export function sendJsonError(res: ServerResponse, code: ErrorCode, detail?: string, extras: JsonErrorExtras = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, message } = ERROR_CODES[code];
  const body = JSON.stringify({ ...extras.fields, error: code, message: detail ?? message });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    [ERROR_CODE_HEADER]: code,
    ...extras.headers,
  });
  res.end(body);
}

/**
 * Bodyless error answer, for statuses whose meaning is all in the headers
 * (405 with Allow): the code travels in the `x-peerconnect-error` header.
 */
export function sendErrorStatus(res: ServerResponse, code: ErrorCode, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(ERROR_CODES[code].status, {
    'content-length': 0,
    'cache-control': 'no-store',
    [ERROR_CODE_HEADER]: code,
    ...headers,
  });
  res.end();
}

/**
 * Refuses an Upgrade (or answers a request Node could not parse) on the raw
 * socket, with the same JSON body and header as sendJsonError. The socket is
 * destroyed only once the answer is flushed, or the client sees a bare reset.
 */
export function sendSocketError(socket: Duplex, code: ErrorCode, detail?: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, message } = ERROR_CODES[code];
  const body = JSON.stringify({ error: code, message: detail ?? message });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`
    + 'connection: close\r\n'
    + 'content-type: application/json; charset=utf-8\r\n'
    + `content-length: ${Buffer.byteLength(body)}\r\n`
    + 'cache-control: no-store\r\n'
    + `${ERROR_CODE_HEADER}: ${code}\r\n\r\n${body}`,
  );
}
