import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config/load-config.js';
import { ConfigError } from '../../core/errors.js';
import { renewalTime, RENEW_AT_LIFETIME_FRACTION } from '../../proxy/tls/acme-manager.js';

test('renewal is due two thirds into the lifetime (60 of 90 days)', () => {
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date(notBefore.getTime() + 90 * 86_400_000);
  assert.equal(RENEW_AT_LIFETIME_FRACTION, 2 / 3);
  assert.equal(renewalTime({ notBefore, notAfter }), notBefore.getTime() + 60 * 86_400_000);
});

test('config: ACME options parsed, the directory defaults to Let\'s Encrypt production', () => {
  const config = loadConfig({ ACME_DOMAINS: 'Example.com, www.example.com', ACME_EMAIL: 'ops@example.com' });
  assert.deepEqual(config.acmeDomains, ['example.com', 'www.example.com']);
  assert.equal(config.acmeEmail, 'ops@example.com');
  assert.equal(config.acmeDirectoryUrl, 'https://acme-v02.api.letsencrypt.org/directory');
  assert.equal(config.acmeStateDir, undefined);
  assert.deepEqual(loadConfig({}).acmeDomains, []);
});

test('config: ACME with TLS_CERT_FILE, with HTTP_PORT=off, wildcards, IP literals and http:// directories are refused', () => {
  const refused = (env: Record<string, string>, pattern: RegExp) => assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
  refused({ ACME_DOMAINS: 'example.com', TLS_CERT_FILE: '/x.pem', TLS_KEY_FILE: '/x.key' }, /ACME_DOMAINS="example.com": not with TLS_CERT_FILE\/TLS_KEY_FILE \(expected one source of certificates/);
  refused({ ACME_DOMAINS: 'example.com', HTTP_PORT: 'off' }, /expected HTTP_PORT to listen/);
  refused({ ACME_DOMAINS: '*.example.com' }, /^ACME_DOMAINS="\*\.example\.com": expected a comma list of up to 100 DNS names/);
  refused({ ACME_DOMAINS: '203.0.113.7' }, /^ACME_DOMAINS=/);
  refused({ ACME_DIRECTORY_URL: 'http://acme.test/dir' }, /^ACME_DIRECTORY_URL="http:\/\/acme.test\/dir": expected an https:\/\/ URL/);
  refused({ ACME_EMAIL: 'not-an-address' }, /^ACME_EMAIL=/);
});
