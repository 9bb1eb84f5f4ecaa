import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerBans } from '../../proxy/signaling/peer-bans.js';

test('peer bans: reports from distinct addresses ban the holder\'s address at the threshold, once', () => {
  const bans = new PeerBans(3, 60_000);
  assert.equal(bans.report('10.0.0.9', '10.0.1.1'), false);
  assert.equal(bans.report('10.0.0.9', '10.0.1.1'), false, 'the same reporter twice counts once');
  assert.equal(bans.report('10.0.0.9', '10.0.1.2'), false);
  assert.equal(bans.isBanned('10.0.0.9'), false);
  assert.equal(bans.report('10.0.0.9', '10.0.1.3'), true);
  assert.equal(bans.isBanned('10.0.0.9'), true);
  assert.equal(bans.report('10.0.0.9', '10.0.1.4'), false, 'already banned');
  assert.equal(bans.isBanned('10.0.0.8'), false);
});

test('peer bans: reports from the holder\'s own address prove nothing', () => {
  const bans = new PeerBans(2, 60_000);
  for (let i = 0; i < 10; i++) assert.equal(bans.report('10.0.0.9', '10.0.0.9'), false);
  assert.equal(bans.isBanned('10.0.0.9'), false);
});

test('peer bans: tracked holders and bans stay bounded under a flood of addresses', () => {
  const bans = new PeerBans(2, 60_000);
  for (let i = 0; i < 30_000; i++) bans.report(`h${i}`, `r${i}`);
  assert.ok(bans.size.pending <= 10_000, `${bans.size.pending} holders tracked`);
  for (let i = 0; i < 30_000; i++) bans.report(`h${i}`, `s${i}`);
  assert.ok(bans.size.banned <= 10_000, `${bans.size.banned} bans kept`);
});
