import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCsp } from '../../proxy/html/csp.js';

test('csp: no policy, or one that allows same-origin scripts, needs nothing', () => {
  assert.deepEqual(planCsp(undefined), { action: 'none', peerAllowed: true });
  assert.deepEqual(planCsp("default-src 'self' blob:"), { action: 'none', peerAllowed: true });
  assert.deepEqual(planCsp("img-src *; style-src 'self'"), { action: 'none', peerAllowed: false });
  assert.deepEqual(planCsp("script-src https:"), { action: 'none', peerAllowed: true });
});

test('csp: a nonce source is reused, even with strict-dynamic', () => {
  assert.deepEqual(planCsp("script-src 'nonce-abc' 'strict-dynamic'; img-src blob: 'self'"), { action: 'nonce', nonce: 'abc', peerAllowed: true });
});

test("csp: host-only script sources get 'self', in script-src rather than widening default-src", () => {
  assert.deepEqual(planCsp('script-src https://cdn.test'), { action: 'rewrite', header: ["script-src https://cdn.test 'self'"], peerAllowed: true });
  assert.deepEqual(planCsp('default-src https://cdn.test; img-src blob:'), {
    action: 'rewrite', header: ["default-src https://cdn.test; img-src blob:; script-src https://cdn.test 'self'"], peerAllowed: true,
  });
  assert.deepEqual(planCsp("script-src-elem 'sha256-xyz'"), { action: 'rewrite', header: ["script-src-elem 'sha256-xyz' 'self'"], peerAllowed: true });
});

test("csp: 'none' and strict-dynamic without a nonce block injection", () => {
  assert.deepEqual(planCsp("script-src 'none'"), { action: 'blocked' });
  assert.deepEqual(planCsp("script-src 'strict-dynamic' 'sha256-x'"), { action: 'blocked' });
  assert.deepEqual(planCsp(['script-src \'self\'', "default-src 'none'"]), { action: 'blocked' });
});

test('csp: every policy is enforced on its own (several headers or comma-joined)', () => {
  assert.deepEqual(planCsp(["script-src 'self'", 'script-src https://a.test']), {
    action: 'rewrite', header: ["script-src 'self'", "script-src https://a.test 'self'"], peerAllowed: true,
  });
  assert.deepEqual(planCsp("script-src 'self', img-src 'self'"), { action: 'none', peerAllowed: false });
});
