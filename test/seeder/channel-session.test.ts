import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preferPassiveDtls } from '../../seeder/peer/channel-session.js';

test('an actpass offer is read as active so the seeder answers passive; other roles are kept', () => {
  const offer = 'v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=setup:actpass\r\na=mid:0\r\n';
  assert.equal(preferPassiveDtls(offer), offer.replace('a=setup:actpass', 'a=setup:active'));
  assert.equal(preferPassiveDtls('a=setup:passive\n'), 'a=setup:passive\n');
  assert.equal(preferPassiveDtls('a=setup:actpass\n'), 'a=setup:active\n');
  assert.equal(preferPassiveDtls('x a=setup:actpass\r\n'), 'x a=setup:actpass\r\n');
});
