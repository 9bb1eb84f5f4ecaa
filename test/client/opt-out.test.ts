import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPT_OUT_COOKIE, OPT_OUT_STORAGE_KEY, optOutReason } from '../../client/config/opt-out.js';

interface PageState {
  /** `content` of `<meta name="p2p">`, when present. */
  meta?: string | null;
  storage?: Record<string, string> | 'throws' | 'absent';
  cookie?: string | 'throws';
  connection?: { saveData?: boolean; type?: string; metered?: boolean };
  webrtc?: boolean;
}

/** Just the parts of a Window the opt-out check reads. */
function page(state: PageState = {}): Window {
  const document = {
    querySelector: (selector: string) => {
      assert.equal(selector, 'meta[name="p2p"]');
      return state.meta === undefined ? null : { getAttribute: (name: string) => (name === 'content' ? state.meta : null) };
    },
    get cookie(): string {
      if (state.cookie === 'throws') throw new Error('SecurityError');
      return state.cookie ?? '';
    },
  };
  const win: Record<string, unknown> = { document, navigator: state.connection ? { connection: state.connection } : {} };
  if (state.storage === 'throws') {
    Object.defineProperty(win, 'localStorage', { get() { throw new Error('SecurityError'); } });
  } else if (state.storage !== 'absent') {
    const items = state.storage ?? {};
    win.localStorage = { getItem: (key: string) => items[key] ?? null };
  }
  if (state.webrtc ?? true) win.RTCPeerConnection = function RTCPeerConnection() {};
  return win as unknown as Window;
}

test('an ordinary page with WebRTC is not opted out', () => {
  assert.equal(optOutReason(page()), undefined);
  assert.equal(optOutReason(page({ storage: 'absent' })), undefined);
});

test('<meta name="p2p" content="off"> turns P2P off, case and spaces aside', () => {
  for (const meta of ['off', ' OFF ', 'Off']) assert.equal(optOutReason(page({ meta })), 'meta-off', meta);
  for (const meta of ['on', '', null, 'off-ish']) assert.equal(optOutReason(page({ meta })), undefined, String(meta));
});

test(`the user switch: localStorage['${OPT_OUT_STORAGE_KEY}'] = '1'`, () => {
  assert.equal(optOutReason(page({ storage: { [OPT_OUT_STORAGE_KEY]: '1' } })), 'user-opt-out');
  assert.equal(optOutReason(page({ storage: { [OPT_OUT_STORAGE_KEY]: '0' } })), undefined);
  assert.equal(optOutReason(page({ storage: { [OPT_OUT_STORAGE_KEY]: 'true' } })), undefined);
});

test(`the user switch: cookie ${OPT_OUT_COOKIE}=1, among other cookies`, () => {
  assert.equal(optOutReason(page({ cookie: `${OPT_OUT_COOKIE}=1` })), 'user-opt-out');
  assert.equal(optOutReason(page({ cookie: `a=b; ${OPT_OUT_COOKIE}=1; c=d` })), 'user-opt-out');
  for (const cookie of [`${OPT_OUT_COOKIE}=0`, `${OPT_OUT_COOKIE}=10`, `x${OPT_OUT_COOKIE}=1`, `a=${OPT_OUT_COOKIE}=1`]) {
    assert.equal(optOutReason(page({ cookie })), undefined, cookie);
  }
});

test('blocked storage falls through to the cookie; a blocked cookie is no opt-out', () => {
  assert.equal(optOutReason(page({ storage: 'throws', cookie: `${OPT_OUT_COOKIE}=1` })), 'user-opt-out');
  assert.equal(optOutReason(page({ storage: 'throws', cookie: 'throws' })), undefined);
});

test('Save-Data and metered or cellular connections opt out', () => {
  assert.equal(optOutReason(page({ connection: { saveData: true } })), 'save-data');
  assert.equal(optOutReason(page({ connection: { metered: true } })), 'metered');
  assert.equal(optOutReason(page({ connection: { type: 'cellular' } })), 'metered');
  assert.equal(optOutReason(page({ connection: { saveData: false, metered: false, type: 'wifi' } })), undefined);
});

test('no RTCPeerConnection means no P2P', () => {
  assert.equal(optOutReason(page({ webrtc: false })), 'no-webrtc');
});

test('the operator comes first, then the user, then the connection, then the browser', () => {
  const everything: PageState = { meta: 'off', storage: { [OPT_OUT_STORAGE_KEY]: '1' }, connection: { saveData: true, metered: true }, webrtc: false };
  assert.equal(optOutReason(page(everything)), 'meta-off');
  assert.equal(optOutReason(page({ ...everything, meta: undefined })), 'user-opt-out');
  assert.equal(optOutReason(page({ ...everything, meta: undefined, storage: {} })), 'save-data');
  assert.equal(optOutReason(page({ ...everything, meta: undefined, storage: {}, connection: { metered: true } })), 'metered');
});
