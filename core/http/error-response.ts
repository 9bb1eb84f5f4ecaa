import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { escapeHtml } from '../utils/escape-html.js';

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
    'x-peerconnect-error': code,
  });
  res.end(body);
}

/** JSON error answer for /__p2p API routes. */
export function sendJsonError(res: ServerResponse, code: ErrorCode, detail?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, message } = ERROR_CODES[code];
  const body = JSON.stringify({ error: code, message: detail ?? message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
