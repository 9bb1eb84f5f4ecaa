/**
 * Feature tests (never user-agent sniffing) beside optOutReason's check for
 * RTCPeerConnection: without a data channel the client stays off and every
 * tagged element loads over HTTP. `crypto.subtle` is not required: plain HTTP
 * pages lack it in every engine, and client/utils/sha256.ts verifies with a
 * portable SHA-256 there. WebSocket, fetch, Blob and blob: URLs predate data
 * channels in every engine, so they need no test of their own.
 * docs/BROWSERS.md lists which browsers this skips.
 */
export function missingFeature(win: Window): 'no-webrtc' | undefined {
  // Some embedded WebViews expose RTCPeerConnection for media only, without data channels.
  const pc = (win as { RTCPeerConnection?: { prototype?: { createDataChannel?: unknown } } }).RTCPeerConnection;
  return typeof pc?.prototype?.createDataChannel === 'function' ? undefined : 'no-webrtc';
}
