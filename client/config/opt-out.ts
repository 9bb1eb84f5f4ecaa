/**
 * Reasons not to use P2P on this page view. Documented user switches:
 * `localStorage['peerconnect:optout'] = '1'` or the cookie `p2p_optout=1`.
 * Operators disable a page with `<meta name="p2p" content="off">`.
 */
export const OPT_OUT_STORAGE_KEY = 'peerconnect:optout';
export const OPT_OUT_COOKIE = 'p2p_optout';

interface NetworkInformationLike {
  saveData?: boolean;
  type?: string;
  metered?: boolean;
}

export type OptOutReason = 'meta-off' | 'user-opt-out' | 'save-data' | 'metered' | 'no-webrtc';

export function optOutReason(win: Window): OptOutReason | undefined {
  const doc = win.document;
  const meta = doc.querySelector('meta[name="p2p"]');
  if (meta && meta.getAttribute('content')?.trim().toLowerCase() === 'off') return 'meta-off';
  if (userOptedOut(win)) return 'user-opt-out';
  const connection = (win.navigator as { connection?: NetworkInformationLike }).connection;
  if (connection?.saveData === true) return 'save-data';
  if (connection?.metered === true || connection?.type === 'cellular') return 'metered';
  if (typeof (win as { RTCPeerConnection?: unknown }).RTCPeerConnection !== 'function') return 'no-webrtc';
  return undefined;
}

function userOptedOut(win: Window): boolean {
  try {
    if (win.localStorage?.getItem(OPT_OUT_STORAGE_KEY) === '1') return true;
  } catch {
    // storage blocked (privacy settings): fall through to the cookie
  }
  try {
    return win.document.cookie.split(';').some((part) => part.trim() === `${OPT_OUT_COOKIE}=1`);
  } catch {
    return false;
  }
}
