/**
 * The connection died under the request (closed or reset by the origin), as
 * opposed to a refusal, a timeout or bad HTTP: nginx closes a kept-alive socket
 * that way when keepalive_requests or keepalive_timeout runs out, and a request
 * already on its way on that socket fails although the origin is fine.
 */
export function isStaleSocketError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}
