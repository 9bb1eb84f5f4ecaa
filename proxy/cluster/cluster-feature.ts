import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisOptions } from 'ioredis';
import type { Feature } from '../../core/feature.js';
import type { Logger } from '../../core/logger.js';
import type { RegistryLimits } from '../signaling/peer-registry.js';
import { clusterKeys, DEFAULT_KEY_PREFIX } from './cluster-keys.js';
import { RedisLink, type RedisState } from './redis-link.js';
import { RedisPeerRegistry } from './redis-registry.js';
import { InstanceRelay } from './instance-relay.js';
import { RedisManifests } from './redis-manifests.js';

export interface ClusterFeatureOptions {
  redisUrl: string;
  logger: Logger;
  /** @default `<hostname>-<random>`: unique per process, so a restarted instance never inherits a dead one's peers. */
  instanceId?: string;
  /** @default DEFAULT_KEY_PREFIX */
  keyPrefix?: string;
  limits?: Partial<RegistryLimits>;
  instanceTtlMs?: number;
  heartbeatMs?: number;
  /** Tests: faster retries. */
  redisOptions?: RedisOptions;
}

/**
 * Several proxy instances sharing peers through Redis: the connections, the
 * shared registry (redis-registry.ts) and this instance's identity. Started
 * before signaling and closed after it, so on SIGTERM the peers signaling drops
 * leave Redis first and the instance then removes whatever is left of it.
 */
export class ClusterFeature implements Feature {
  readonly name = 'cluster';
  readonly instanceId: string;
  readonly registry: RedisPeerRegistry;
  /** Signaling to and from peers on other instances (give it to signaling as `remote`). */
  readonly relay: InstanceRelay;
  /** Image manifests shared by the instances' media indexes (give it to the seeder as `sharedManifests`). */
  readonly manifests: RedisManifests;
  readonly link: RedisLink;
  private started = false;
  private closed = false;

  constructor(options: ClusterFeatureOptions) {
    this.instanceId = options.instanceId ?? `${hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 40)}-${randomBytes(4).toString('hex')}`;
    const keys = clusterKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    const logger = options.logger.child({ module: 'peerconnect:cluster', instance: this.instanceId });
    this.link = new RedisLink({
      url: options.redisUrl,
      channels: [keys.events, keys.inbox(this.instanceId)],
      logger,
      ...(options.redisOptions ? { redisOptions: options.redisOptions } : {}),
      handlers: {
        up: () => void this.registry.onUp(),
        down: () => this.registry.onDown(),
        message: (channel, payload) => {
          if (channel === keys.events) this.registry.onEvent(payload);
          else this.relay.deliver(payload);
        },
      },
    });
    this.registry = new RedisPeerRegistry({
      link: this.link, keys, instanceId: this.instanceId, logger,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.instanceTtlMs !== undefined ? { instanceTtlMs: options.instanceTtlMs } : {}),
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    });
    this.relay = new InstanceRelay({ link: this.link, keys, registry: this.registry });
    this.manifests = new RedisManifests(this.link, keys);
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.registry.start();
    // Unreachable Redis is not a start failure: the link logs it once and keeps retrying.
    await this.link.connect();
  }

  /** Always true: HTTP and local P2P work without Redis (/readyz shows its state through status()). */
  ready(): boolean {
    return true;
  }

  status(): Record<string, string> {
    return { redis: this.link.state, instance: this.instanceId };
  }

  get redisState(): RedisState {
    return this.link.state;
  }

  /** Removes this instance's peers from Redis, tells the others, disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.registry.close();
    await this.link.close();
  }
}
