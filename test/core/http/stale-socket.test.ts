import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from 'undici';
import { isStaleSocketError } from '../../../core/http/stale-socket.js';

test('a socket closed or reset under the request is stale; refusals, timeouts and bad HTTP are not', () => {
  assert.equal(isStaleSocketError(new errors.SocketError('other side closed')), true);
  assert.equal(isStaleSocketError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
  assert.equal(isStaleSocketError(Object.assign(new Error('pipe'), { code: 'EPIPE' })), true);
  assert.equal(isStaleSocketError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), false);
  assert.equal(isStaleSocketError(new errors.HeadersTimeoutError()), false);
  assert.equal(isStaleSocketError(new Error('no code')), false);
  assert.equal(isStaleSocketError(undefined), false);
});
