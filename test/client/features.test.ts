import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingFeature } from '../../client/config/features.js';

function page(pc: unknown): Window {
  return { RTCPeerConnection: pc } as unknown as Window;
}

test('a browser whose RTCPeerConnection has data channels runs the client', () => {
  class RTCPeerConnection {
    createDataChannel(): void {}
  }
  assert.equal(missingFeature(page(RTCPeerConnection)), undefined);
});

test('RTCPeerConnection without createDataChannel (media-only WebViews, EdgeHTML) is skipped as no-webrtc', () => {
  assert.equal(missingFeature(page(function RTCPeerConnection() {})), 'no-webrtc');
  assert.equal(missingFeature(page(undefined)), 'no-webrtc');
});
