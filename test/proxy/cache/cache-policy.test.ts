import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheControl, decideStorage, policyRequest, varyIsAcceptEncodingOnly } from '../../../proxy/cache/cache-policy.js';

const anonymous = policyRequest('/a.png', { host: 'site.test' });
const stored = (headers: Record<string, string>, status = 200, req = anonymous) => decideStorage(req, status, headers);
const reason = (decision: ReturnType<typeof decideStorage>) => (decision.store ? 'stored' : decision.reason);

test('a 200 with max-age is stored, with a policy that is fresh', () => {
  const decision = stored({ 'cache-control': 'max-age=60' });
  assert.ok(decision.store);
  assert.equal(decision.policy.stale(), false);
});

test('each never-store rule gives its own reason', () => {
  assert.equal(reason(stored({ 'cache-control': 'max-age=60' }, 404)), 'status');
  assert.equal(reason(stored({ 'cache-control': 'max-age=60' }, 206)), 'status');
  assert.equal(reason(stored({ 'cache-control': 'no-store, max-age=60' })), 'no-store');
  assert.equal(reason(stored({ 'cache-control': 'max-age=60' }, 200, policyRequest('/a.png', { 'cache-control': 'no-store' }))), 'no-store');
  assert.equal(reason(stored({ 'cache-control': 'Private, max-age=60' })), 'private');
  assert.equal(reason(stored({ 'cache-control': 'public, max-age=60', 'set-cookie': 'a=1' })), 'set-cookie');
  assert.equal(reason(stored({ 'cache-control': 'max-age=60', vary: 'Accept-Encoding, Cookie' })), 'vary');
  assert.equal(reason(stored({ 'cache-control': 'max-age=60', vary: '*' })), 'vary');
  assert.equal(reason(stored({})), 'not-storable', 'no freshness and no validator');
});

test('credentials: Authorization or cookies need public or s-maxage', () => {
  const withAuth = policyRequest('/a.png', { authorization: 'Basic eDp5' });
  const withCookie = policyRequest('/a.png', { cookie: 'id=1' });
  assert.equal(reason(stored({ 'cache-control': 'max-age=60' }, 200, withAuth)), 'credentials');
  assert.equal(reason(stored({ 'cache-control': 'max-age=60' }, 200, withCookie)), 'credentials');
  assert.equal(reason(stored({ 'cache-control': 'public, max-age=60' }, 200, withAuth)), 'stored');
  assert.equal(reason(stored({ 'cache-control': 's-maxage=60' }, 200, withCookie)), 'stored');
});

test('a response that is never fresh but has a validator is stored for revalidation', () => {
  const decision = stored({ 'cache-control': 'no-cache', etag: '"x"' });
  assert.ok(decision.store);
  assert.ok(decision.policy.evaluateRequest(anonymous).revalidation, 'every use revalidates');
});

test('Vary: only Accept-Encoding (any case, any spacing) keeps the response storable', () => {
  assert.equal(varyIsAcceptEncodingOnly(undefined), true);
  assert.equal(varyIsAcceptEncodingOnly('accept-encoding'), true);
  assert.equal(varyIsAcceptEncodingOnly(' Accept-Encoding , '), true);
  assert.equal(varyIsAcceptEncodingOnly('Accept-Encoding, Origin'), false);
  assert.equal(varyIsAcceptEncodingOnly('User-Agent'), false);
});

test('cacheControl reads directive names, lowercased, from one or several fields', () => {
  assert.deepEqual([...cacheControl('Public, max-age=60, s-maxage="30"')], ['public', 'max-age', 's-maxage']);
  assert.deepEqual([...cacheControl(['no-cache', 'private'])], ['no-cache', 'private']);
  assert.equal(cacheControl(undefined).size, 0);
});

test('policyRequest keeps only the fields the rules read, as a GET', () => {
  const req = policyRequest('/x.png?v=1', { host: 'h', 'accept-encoding': 'gzip', 'user-agent': 'ua', cookie: 'c=1' });
  assert.equal(req.method, 'GET');
  assert.equal(req.url, '/x.png?v=1');
  assert.equal(req.headers['user-agent'], undefined);
  assert.equal(req.headers.cookie, 'c=1');
  assert.equal(req.headers['accept-encoding'], 'gzip');
});
