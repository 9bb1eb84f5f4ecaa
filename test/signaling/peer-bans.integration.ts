import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningApp } from '../../proxy/app.js';
import { BAN_AFTER_REPORTERS } from '../../proxy/signaling/peer-bans.js';
import { startProxy } from '../helpers/proxy.js';
import { SignalTestClient } from './signal-test-client.js';

const WAIT_MS = 5_000;
const SEEDER_TOKEN = 'peer-bans-seeder-token-0123456789';

describe('server-side bans from bad-peer reports', () => {
  let app: RunningApp;
  const clients: SignalTestClient[] = [];
  let askerSerial = 0;
  const connect = async (forwardedFor: string): Promise<SignalTestClient> => {
    const client = await SignalTestClient.connect(app.url, { forwardedFor });
    clients.push(client);
    return client;
  };
  /**
   * What a new visitor (its own address) is offered for `asset`. Each asker is closed
   * after one `want`, so the upload slots it took on holders are freed again.
   */
  const offeredToNewVisitor = async (asset: string): Promise<string[]> => {
    const asker = await connect(`198.18.40.${++askerSerial % 250}`);
    try {
      return await asker.holders(asset);
    } finally {
      asker.close();
    }
  };
  const offeredUntil = async (asset: string, check: (peers: string[]) => boolean): Promise<string[]> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const peers = await offeredToNewVisitor(asset);
      if (check(peers)) return peers;
      if (Date.now() > deadline) throw new Error(`holders of ${asset} still ${JSON.stringify(peers)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** A visitor that is given `holder`, reports it as bad, and leaves. */
  const report = async (from: string, holder: string, asset: string): Promise<void> => {
    const reporter = await connect(from);
    const deadline = Date.now() + WAIT_MS;
    while (!(await reporter.holders(asset)).includes(holder)) {
      if (Date.now() > deadline) throw new Error(`${from} was never given ${holder}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    reporter.send({ type: 'bad-peer', peer: holder, asset });
    // A round trip after the report: the server has handled it before the socket closes.
    await reporter.holders(`${asset}-sync`);
    reporter.close();
  };

  before(async () => {
    app = await startProxy({ TRUST_PROXY: '127.0.0.1', SIGNAL_MAX_PEERS_PER_IP: '64', SEEDER_TOKEN });
  });
  after(async () => {
    for (const client of clients) client.close();
    await app.close();
  });

  test('a holder reported by distinct addresses is offered to no one, and reconnecting does not lift it', async () => {
    const liar = await connect('198.18.20.66');
    const honest = await connect('198.18.20.7');
    for (const holder of [liar, honest]) holder.send({ type: 'have', assets: ['asset-ban'] });
    await offeredUntil('asset-ban', (peers) => peers.length === 2);

    for (let i = 1; i <= BAN_AFTER_REPORTERS; i++) {
      await report(`198.18.22.${i}`, liar.id, 'asset-ban');
      // Below the threshold only the reporter stops being given the liar.
      if (i < BAN_AFTER_REPORTERS) await offeredUntil('asset-ban', (peers) => peers.includes(liar.id));
    }
    assert.deepEqual(await offeredUntil('asset-ban', (peers) => !peers.includes(liar.id)), [honest.id]);

    // New holdings from the banned address, even under a new peer id, are not offered either.
    liar.send({ type: 'have', assets: ['asset-ban-2'] });
    const again = await connect('198.18.20.66');
    again.send({ type: 'have', assets: ['asset-ban-2'] });
    honest.send({ type: 'have', assets: ['asset-ban-2'] });
    assert.deepEqual(await offeredUntil('asset-ban-2', (peers) => peers.includes(honest.id)), [honest.id]);
  });

  test('one visitor with many tabs (one address) cannot ban a holder', async () => {
    const holder = await connect('198.18.30.5');
    holder.send({ type: 'have', assets: ['asset-tabs'] });
    for (let i = 0; i < BAN_AFTER_REPORTERS + 2; i++) await report('198.18.31.9', holder.id, 'asset-tabs');
    assert.deepEqual(await offeredUntil('asset-tabs', (peers) => peers.length > 0), [holder.id]);
  });

  test('the seeder (authenticated with SEEDER_TOKEN) is never banned by visitors', async () => {
    const seeder = await connect('198.18.50.1');
    seeder.send({ type: 'hello', role: 'seeder', token: SEEDER_TOKEN });
    await offeredUntil('asset-seeded-ban', (peers) => peers.includes(seeder.id));
    for (let i = 1; i <= BAN_AFTER_REPORTERS + 1; i++) await report(`198.18.51.${i}`, seeder.id, 'asset-seeded-ban');
    assert.deepEqual(await offeredUntil('asset-seeded-ban', (peers) => peers.length > 0), [seeder.id]);
  });
});
