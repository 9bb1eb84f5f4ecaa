import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeholderCertificate, PLACEHOLDER_VALIDITY_MS } from '../../proxy/tls/acme-placeholder.js';
import { ACME_STATE_FILES, AcmeStateDir } from '../../proxy/tls/acme-state.js';
import { secureContextFor } from '../../proxy/tls/tls-material.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pc-acme-state-'));
}

test('placeholder: a self-signed certificate for every name that fits its key and lives PLACEHOLDER_VALIDITY_MS', () => {
  const now = Date.now();
  const material = placeholderCertificate(['example.com', 'www.example.com'], now);
  secureContextFor(material);
  const leaf = new X509Certificate(material.cert);
  assert.equal(leaf.subjectAltName, 'DNS:example.com, DNS:www.example.com');
  assert.ok(leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey), 'self-signed');
  const lifetime = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
  assert.ok(Math.abs(lifetime - PLACEHOLDER_VALIDITY_MS - 60_000) <= 2_000, `lifetime ${lifetime}`);
  assert.notEqual(placeholderCertificate(['example.com']).cert, placeholderCertificate(['example.com']).cert, 'a new key and serial each time');
});

test('state dir: created 0700 (an existing one tightened), files written 0600 with no temporary left behind', () => {
  const root = tempDir();
  try {
    const dir = join(root, 'nested', 'acme');
    const state = new AcmeStateDir(dir);
    state.ensure();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const material = placeholderCertificate(['example.com']);
    state.writeAccountKey('account key');
    state.writeCertificate(material.cert, material.key);
    state.writeCertificate(material.cert, material.key);
    state.writeAccountUrl('https://ca.test/dir', 'https://ca.test/acct/1');
    assert.deepEqual(readdirSync(dir).sort(), Object.values(ACME_STATE_FILES).sort());
    assert.equal(state.readAccountUrl('https://ca.test/dir'), 'https://ca.test/acct/1');
    assert.equal(state.readAccountUrl('https://other.test/dir'), undefined, 'an account belongs to its directory');
    for (const name of readdirSync(dir)) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
    assert.equal(state.readAccountKey()?.toString(), 'account key');
    const stored = state.readCertificate();
    assert.equal(stored?.serial, new X509Certificate(material.cert).serialNumber);
    assert.deepEqual(stored?.names, ['example.com']);

    const loose = join(root, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    new AcmeStateDir(loose).ensure();
    assert.equal(statSync(loose).mode & 0o777, 0o700);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('state dir: no certificate, or a certificate whose key does not fit (a crash between writes), reads as none', () => {
  const dir = tempDir();
  try {
    const state = new AcmeStateDir(dir);
    state.ensure();
    assert.equal(state.readCertificate(), undefined);
    assert.equal(state.readAccountKey(), undefined);
    const one = placeholderCertificate(['example.com']);
    const two = placeholderCertificate(['example.com']);
    state.writeCertificate(one.cert, two.key);
    assert.equal(state.readCertificate(), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
