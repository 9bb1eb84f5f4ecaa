import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientResponseHeaders, originRequestHeaders, rewriteOriginUrl, type ForwardedInfo } from '../../proxy/http/headers.js';

/** A request as Node's parser leaves it: raw pairs in order, plus the merged lower-case view. */
function request(raw: [string, string][]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of raw) {
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
  }
  return { rawHeaders: raw.flat(), headers } as unknown as IncomingMessage;
}

const INFO: ForwardedInfo = { clientAddress: '203.0.113.7', proto: 'https', host: 'www.site.test', requestId: 'req-1' };

/** Raw pair list → [name, value] pairs, names lower-cased for comparison. */
function pairs(out: string[]): [string, string][] {
  const list: [string, string][] = [];
  for (let i = 0; i < out.length; i += 2) list.push([(out[i] as string).toLowerCase(), out[i + 1] as string]);
  return list;
}
const values = (out: string[], name: string): string[] => pairs(out).filter(([n]) => n === name).map(([, v]) => v);

test('origin request: client headers kept in order with repeats; hop-by-hop ones dropped', () => {
  const out = originRequestHeaders(request([
    ['Host', 'www.site.test'], ['Accept', 'image/*'], ['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=5'],
    ['X-Custom', 'one'], ['TE', 'trailers'], ['Transfer-Encoding', 'chunked'], ['Upgrade', 'h2c'], ['Proxy-Authorization', 'Basic x'],
    ['Proxy-Connection', 'keep-alive'], ['Trailer', 'x'], ['HTTP2-Settings', 'AAA'], ['X-Custom', 'two'],
  ]), INFO);
  const names = pairs(out).map(([n]) => n);
  for (const hop of ['host', 'connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-connection', 'trailer', 'http2-settings']) {
    assert.ok(!names.includes(hop), hop);
  }
  assert.deepEqual(pairs(out).slice(0, 3), [['accept', 'image/*'], ['x-custom', 'one'], ['x-custom', 'two']]);
});

test('origin request: headers named in Connection are dropped too, whatever their case', () => {
  const out = originRequestHeaders(request([['Connection', 'close, X-Secret'], ['x-secret', 's'], ['X-Kept', 'k']]), INFO);
  assert.deepEqual(values(out, 'x-secret'), []);
  assert.deepEqual(values(out, 'x-kept'), ['k']);
});

test('origin request: Expect is not forwarded (Node answered it; undici refuses it)', () => {
  const out = originRequestHeaders(request([['Expect', '100-continue'], ['Content-Length', '3']]), INFO);
  assert.deepEqual(values(out, 'expect'), []);
  assert.deepEqual(values(out, 'content-length'), ['3']);
});

test('client response: without a Connection header only the fixed hop-by-hop set is dropped', () => {
  const out = clientResponseHeaders({ 'content-type': 'image/png', 'keep-alive': 'timeout=5', 'x-extra': 'e' }, new URL('http://origin.test'), 'https://www.site.test');
  assert.deepEqual(out, { 'content-type': 'image/png', 'x-extra': 'e', via: '1.1 peerconnect' });
});

test('origin request: X-Forwarded-For keeps earlier hops and appends the client', () => {
  assert.deepEqual(values(originRequestHeaders(request([]), INFO), 'x-forwarded-for'), ['203.0.113.7']);
  const out = originRequestHeaders(request([['X-Forwarded-For', '198.51.100.1'], ['x-forwarded-for', '198.51.100.2, 10.0.0.1']]), INFO);
  assert.deepEqual(values(out, 'x-forwarded-for'), ['198.51.100.1, 198.51.100.2, 10.0.0.1, 203.0.113.7']);
});

test('origin request: X-Forwarded-Proto, X-Forwarded-Host and X-Request-Id come from the proxy alone', () => {
  const out = originRequestHeaders(request([
    ['X-Forwarded-Proto', 'http'], ['X-Forwarded-Host', 'evil.test'], ['X-Request-Id', 'forged'],
  ]), INFO);
  assert.deepEqual(values(out, 'x-forwarded-proto'), ['https']);
  assert.deepEqual(values(out, 'x-forwarded-host'), ['www.site.test']);
  assert.deepEqual(values(out, 'x-request-id'), ['req-1']);
  const noHost = originRequestHeaders(request([['X-Forwarded-Host', 'evil.test']]), { ...INFO, host: undefined });
  assert.deepEqual(values(noHost, 'x-forwarded-host'), []);
});

test('origin request: Via lists earlier proxies, then this one', () => {
  assert.deepEqual(values(originRequestHeaders(request([]), INFO), 'via'), ['1.1 peerconnect']);
  const out = originRequestHeaders(request([['Via', '1.1 cdn'], ['via', '1.0 edge']]), INFO);
  assert.deepEqual(values(out, 'via'), ['1.1 cdn, 1.0 edge, 1.1 peerconnect']);
});

test('origin request: weak ETags in If-None-Match are asked for as strong ones', () => {
  const out = originRequestHeaders(request([['If-None-Match', 'W/"a", "b", W/"c"']]), INFO);
  assert.deepEqual(values(out, 'if-none-match'), ['"a", "b", "c"']);
});

test('origin request: an upgrade keeps Upgrade and Connection, still drops other hop-by-hop headers', () => {
  const raw: [string, string][] = [['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Keep-Alive', '5'], ['Sec-WebSocket-Key', 'k']];
  const out = originRequestHeaders(request(raw), INFO, true);
  assert.deepEqual(values(out, 'connection'), ['Upgrade']);
  assert.deepEqual(values(out, 'upgrade'), ['websocket']);
  assert.deepEqual(values(out, 'keep-alive'), []);
  assert.deepEqual(values(out, 'sec-websocket-key'), ['k']);
  assert.deepEqual(values(originRequestHeaders(request(raw), INFO), 'upgrade'), [], 'dropped without keepUpgrade');
});

const ORIGIN = new URL('http://origin.internal:8080');
const PUBLIC = 'https://www.site.test';

test('client response: hop-by-hop and Connection-named headers dropped, names lower-cased, arrays kept', () => {
  const out = clientResponseHeaders({
    'Content-Type': 'text/html', connection: 'keep-alive, X-Internal', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked',
    'x-internal': 'secret', 'set-cookie': ['a=1', 'b=2'], 'x-absent': undefined, upgrade: 'h2c', trailer: 'x',
  }, ORIGIN, PUBLIC);
  assert.deepEqual(out, { 'content-type': 'text/html', 'set-cookie': ['a=1', 'b=2'], via: '1.1 peerconnect' });
});

test('client response: Location and Content-Location on the origin move to the public URL', () => {
  const out = clientResponseHeaders({
    location: 'http://origin.internal:8080/a/b?c=1#d',
    'content-location': 'http://ORIGIN.internal:8080/x',
  }, ORIGIN, PUBLIC);
  assert.equal(out.location, 'https://www.site.test/a/b?c=1#d');
  assert.equal(out['content-location'], 'https://www.site.test/x');
});

test('client response: relative and foreign Locations are left as they are', () => {
  for (const location of ['/relative?x=1', 'other.html', 'https://elsewhere.test/a', 'http://origin.internal:9090/a', 'https://origin.internal:8080/a']) {
    assert.equal(clientResponseHeaders({ location }, ORIGIN, PUBLIC).location, location);
  }
});

test('client response: Via from the origin is kept, this proxy appended', () => {
  assert.equal(clientResponseHeaders({ via: '1.1 varnish' }, ORIGIN, PUBLIC).via, '1.1 varnish, 1.1 peerconnect');
});

test('rewriteOriginUrl: the origin matches by scheme, host and port (default ports included)', () => {
  const origin = new URL('http://origin.internal');
  assert.equal(rewriteOriginUrl('http://origin.internal:80/p', origin, PUBLIC), 'https://www.site.test/p');
  assert.equal(rewriteOriginUrl('http://origin.internal', origin, PUBLIC), 'https://www.site.test/');
  assert.equal(rewriteOriginUrl('http://origin.internal:81/p', origin, PUBLIC), 'http://origin.internal:81/p');
  assert.equal(rewriteOriginUrl('not a url', origin, PUBLIC), 'not a url');
});
