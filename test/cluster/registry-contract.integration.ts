import { after, before } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { createLogger } from '../../core/logger.js';
import { ClusterFeature } from '../../proxy/cluster/cluster-feature.js';
import { InMemoryPeerRegistry } from '../../proxy/signaling/peer-registry.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { registryContract } from './registry-contract.js';

const SETTLE_MS = 5_000;
let redis: RunningRedis;
let run = 0;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.dispose();
});

registryContract('memory', async (limits) => {
  const registry = new InMemoryPeerRegistry(limits);
  return { writer: registry, reader: registry, settled: async () => undefined, close: async () => undefined };
});

// Two instances on one Redis: every write goes to the first, every read is checked on both.
registryContract('redis', async (limits) => {
  const keyPrefix = `contract${++run}:`;
  const logger = createLogger('silent');
  const open = async (instanceId: string): Promise<ClusterFeature> => {
    const cluster = new ClusterFeature({ redisUrl: redis.url, logger, instanceId, keyPrefix, ...(limits ? { limits } : {}) });
    await cluster.start();
    await waitFor(() => cluster.redisState === 'up', `${instanceId} connected`, SETTLE_MS);
    return cluster;
  };
  const a = await open('a');
  const b = await open('b');
  return {
    writer: a.registry,
    reader: b.registry,
    settled: () => waitFor(() => isDeepStrictEqual(a.registry.stats(100), b.registry.stats(100)), 'the reader caught up', SETTLE_MS),
    close: async () => {
      await a.close();
      await b.close();
    },
  };
});
