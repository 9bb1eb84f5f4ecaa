import type { AssetId, PeerId } from '../../protocol/signal-messages.js';
import type { Logger } from '../../core/logger.js';
import {
  DEFAULT_REGISTRY_LIMITS, InMemoryPeerRegistry, type PeerRecord, type PeerRegistry, type RegistryLimits, type RegistryStats,
} from '../signaling/peer-registry.js';
import type { ClusterKeys } from './cluster-keys.js';
import { parseHeld, parsePeerRecord, parseRegistryEvent, type RegistryEvent } from './registry-event.js';
import type { RedisLink } from './redis-link.js';

/** An instance that stopped refreshing its liveness key is gone after this (its peers with it). */
export const INSTANCE_TTL_MS = 15_000;
/** How often an instance refreshes its own liveness and looks for dead ones: a dead one's peers vanish within TTL + this. */
export const HEARTBEAT_MS = 5_000;
/** Peers across all instances kept in the local mirror. */
export const MAX_CLUSTER_PEERS = 200_000;
/** Events from one instance held back while its snapshot is being read (then replayed). */
const MAX_HELD_BACK_EVENTS = 50_000;

export interface RedisRegistryOptions {
  link: RedisLink;
  keys: ClusterKeys;
  instanceId: string;
  /** Bounds of this instance's own peers (`maxPeers`) and of the mirror's per-peer and per-asset tables. */
  limits?: Partial<RegistryLimits>;
  /** Peers of all instances the mirror keeps. @default MAX_CLUSTER_PEERS */
  maxClusterPeers?: number;
  instanceTtlMs?: number;
  heartbeatMs?: number;
  logger?: Logger;
}

/**
 * The peer registry shared by several proxy instances through Redis.
 *
 * Reads are answered from a local mirror (an InMemoryPeerRegistry holding
 * every instance's peers), so the threshold policy and pairing never wait on
 * Redis. Writes apply to the mirror at once, then go to Redis (each instance
 * owns the HASHes of its own peers and holdings) and out on the events
 * channel, which the other instances apply to their mirrors. How stale a read
 * can be: one pub/sub hop (sub-millisecond on a LAN) while Redis is up; while
 * it is down the mirror holds only this instance's peers (local-only). On every
 * (re)connect the instance rewrites its own HASHes and re-reads the others'
 * (pub/sub delivery is not trusted across a Redis restart).
 *
 * Liveness: each instance refreshes `alive:<id>` (TTL INSTANCE_TTL_MS) every
 * HEARTBEAT_MS and drops from its mirror the peers of instances whose key
 * expired, so a crashed instance's peers disappear within TTL + heartbeat.
 * `served` order (least recently served first) is kept per instance.
 */
export class RedisPeerRegistry implements PeerRegistry {
  readonly instanceId: string;
  private readonly mirror: InMemoryPeerRegistry;
  private readonly localPeers = new Map<PeerId, PeerRecord>();
  private readonly localHeld = new Map<PeerId, Set<AssetId>>();
  /** Remote instance → its peers in the mirror. */
  private readonly remote = new Map<string, Set<PeerId>>();
  private readonly instanceOfPeer = new Map<PeerId, string>();
  private readonly remoteRecords = new Map<PeerId, PeerRecord>();
  private readonly limits: RegistryLimits;
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Set while snapshots are read: events wait here, then replay in order. */
  private heldBack: RegistryEvent[] | undefined;
  private syncRun = 0;
  /** Reloads in flight; events are held back while any runs. */
  private loading = 0;
  private closed = false;
  /** Redis commands issued, for the benchmark's ops-per-page-view figure. */
  commands = 0;

  constructor(private readonly options: RedisRegistryOptions) {
    this.instanceId = options.instanceId;
    this.limits = { ...DEFAULT_REGISTRY_LIMITS, ...options.limits };
    this.ttlMs = options.instanceTtlMs ?? INSTANCE_TTL_MS;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.mirror = new InMemoryPeerRegistry({ ...this.limits, maxPeers: options.maxClusterPeers ?? MAX_CLUSTER_PEERS });
  }

  /** Starts the heartbeat. The link's up()/down()/message() handlers must call onUp/onDown/onEvent. */
  start(): void {
    if (this.closed || this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs).unref();
  }

  /** The instance a peer is connected to: this one's id for local peers, undefined when unknown. */
  instanceOf(id: PeerId): string | undefined {
    if (this.localPeers.has(id)) return this.instanceId;
    return this.instanceOfPeer.get(id);
  }

  /** A remote peer's record from the mirror (undefined for local or unknown ids). */
  remoteRecord(id: PeerId): PeerRecord | undefined {
    return this.remoteRecords.get(id);
  }

  /** Remote instances currently in the mirror, with their peer counts. */
  remoteInstances(): Map<string, number> {
    return new Map([...this.remote].map(([instance, peers]) => [instance, peers.size]));
  }

  join(peer: PeerRecord): boolean {
    if (this.localPeers.has(peer.id)) return true;
    if (this.localPeers.size >= this.limits.maxPeers) return false;
    if (!this.mirror.join(peer)) return false;
    const record = copyRecord(peer);
    this.localPeers.set(peer.id, record);
    if (peer.role === 'browser') this.localHeld.set(peer.id, new Set());
    const { keys } = this.options;
    this.write((multi) => multi.hset(keys.peers(this.instanceId), peer.id, JSON.stringify(record)), { i: this.instanceId, e: 'join', peer: record });
    return true;
  }

  leave(id: PeerId): void {
    if (!this.localPeers.delete(id)) return;
    this.localHeld.delete(id);
    this.mirror.leave(id);
    const { keys } = this.options;
    this.write((multi) => multi.hdel(keys.peers(this.instanceId), id).hdel(keys.held(this.instanceId), id), { i: this.instanceId, e: 'leave', id });
  }

  have(id: PeerId, assets: readonly AssetId[]): number {
    const held = this.localHeld.get(id);
    if (!held) return 0;
    const accepted = this.mirror.have(id, assets);
    const added: AssetId[] = [];
    for (const asset of assets) {
      if (held.has(asset)) continue;
      if (held.size >= this.limits.maxAssetsPerPeer) break;
      held.add(asset);
      added.push(asset);
    }
    if (added.length > 0) this.writeHeld(id, held, { i: this.instanceId, e: 'have', id, assets: added });
    return accepted;
  }

  lost(id: PeerId, assets: readonly AssetId[]): void {
    const held = this.localHeld.get(id);
    if (!held) return;
    const gone = assets.filter((asset) => held.delete(asset));
    if (gone.length === 0) return;
    this.mirror.lost(id, gone);
    this.writeHeld(id, held, { i: this.instanceId, e: 'lost', id, assets: gone });
  }

  holders(asset: AssetId, scanLimit: number): PeerRecord[] {
    return this.mirror.holders(asset, scanLimit);
  }

  holderCount(asset: AssetId): number {
    return this.mirror.holderCount(asset);
  }

  served(asset: AssetId, ids: readonly PeerId[]): void {
    this.mirror.served(asset, ids);
  }

  stats(top: number): RegistryStats {
    return this.mirror.stats(top);
  }

  /** Redis is usable again: write this instance's state, then re-read every live instance's. */
  async onUp(): Promise<void> {
    await this.sync();
  }

  /** Redis is gone: only this instance's peers can be trusted (and reached). */
  onDown(): void {
    this.syncRun++;
    for (const instance of [...this.remote.keys()]) this.dropInstance(instance);
  }

  /** One message from the events channel. Malformed ones are ignored. */
  onEvent(payload: string): void {
    let event: RegistryEvent;
    try {
      event = parseRegistryEvent(payload);
    } catch {
      return;
    }
    if (event.i === this.instanceId) return;
    if (this.heldBack) {
      if (this.heldBack.length < MAX_HELD_BACK_EVENTS) this.heldBack.push(event);
      return;
    }
    this.apply(event);
  }

  /**
   * Removes this instance's peers from Redis and tells the others at once
   * (draining on SIGTERM), then stops. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    const { link, keys } = this.options;
    if (link.state !== 'up') return;
    await link.command.multi()
      .del(keys.peers(this.instanceId), keys.held(this.instanceId), keys.alive(this.instanceId))
      .srem(keys.instances, this.instanceId)
      .publish(keys.events, JSON.stringify({ i: this.instanceId, e: 'gone' }))
      .exec()
      .catch(() => undefined);
  }

  private apply(event: RegistryEvent): void {
    switch (event.e) {
      case 'join': {
        if (this.localPeers.has(event.peer.id)) return;
        if (!this.mirror.join(event.peer)) return;
        this.trackRemote(event.i, event.peer);
        return;
      }
      case 'leave':
        if (this.instanceOfPeer.get(event.id) !== event.i) return;
        this.forgetRemote(event.id);
        return;
      case 'have':
        if (this.instanceOfPeer.get(event.id) === event.i) this.mirror.have(event.id, event.assets);
        return;
      case 'lost':
        if (this.instanceOfPeer.get(event.id) === event.i) this.mirror.lost(event.id, event.assets);
        return;
      case 'gone':
        this.dropInstance(event.i);
        return;
      case 'hello':
        // Its state was rewritten after a (re)connect: read it whole rather than trust what came before.
        void this.reload([event.i], this.syncRun).catch(() => undefined);
        return;
    }
  }

  private trackRemote(instance: string, record: PeerRecord): void {
    const id = record.id;
    let peers = this.remote.get(instance);
    if (!peers) {
      peers = new Set();
      this.remote.set(instance, peers);
    }
    peers.add(id);
    this.instanceOfPeer.set(id, instance);
    this.remoteRecords.set(id, copyRecord(record));
  }

  private forgetRemote(id: PeerId): void {
    const instance = this.instanceOfPeer.get(id);
    if (instance === undefined) return;
    this.instanceOfPeer.delete(id);
    this.remoteRecords.delete(id);
    this.remote.get(instance)?.delete(id);
    this.mirror.leave(id);
  }

  private dropInstance(instance: string): void {
    const peers = this.remote.get(instance);
    if (!peers) return;
    this.remote.delete(instance);
    for (const id of peers) {
      this.instanceOfPeer.delete(id);
      this.remoteRecords.delete(id);
      this.mirror.leave(id);
    }
  }

  /** Applies one write to Redis (MULTI, with the event published in the same transaction); failures wait for the next resync. */
  private write(build: (multi: ReturnType<RedisLink['command']['multi']>) => unknown, event: RegistryEvent): void {
    const { link, keys } = this.options;
    if (link.state !== 'up' || this.closed) return;
    const multi = link.command.multi();
    build(multi);
    multi.publish(keys.events, JSON.stringify(event));
    this.commands += multi.length;
    multi.exec().catch(() => undefined);
  }

  private writeHeld(id: PeerId, held: Set<AssetId>, event: RegistryEvent): void {
    const key = this.options.keys.held(this.instanceId);
    this.write((multi) => (held.size === 0 ? multi.hdel(key, id) : multi.hset(key, id, JSON.stringify([...held]))), event);
  }

  /** Refreshes this instance's liveness and drops instances whose liveness expired. */
  private async beat(): Promise<void> {
    const { link, keys } = this.options;
    if (link.state !== 'up' || this.closed) return;
    try {
      await this.refreshOwn();
      const listed = await link.command.smembers(keys.instances);
      const others = [...new Set([...listed, ...this.remote.keys()])].filter((instance) => instance !== this.instanceId);
      if (others.length === 0) return;
      const pipeline = link.command.pipeline();
      for (const instance of others) pipeline.exists(keys.alive(instance));
      const results = (await pipeline.exec()) ?? [];
      this.commands += 3 + others.length;
      const dead = others.filter((_, index) => results[index]?.[1] === 0);
      for (const instance of dead) this.dropInstance(instance);
      if (dead.length > 0) {
        const cleanup = link.command.multi().srem(keys.instances, ...dead);
        for (const instance of dead) cleanup.del(keys.peers(instance), keys.held(instance));
        await cleanup.exec();
        this.options.logger?.info({ instances: dead }, 'instances stopped refreshing: their peers are forgotten');
      }
    } catch {
      // Redis went away mid-beat: the link's down() already went local-only.
    }
  }

  private async refreshOwn(): Promise<void> {
    const { link, keys } = this.options;
    await link.command.multi()
      .set(keys.alive(this.instanceId), '1', 'PX', this.ttlMs)
      .sadd(keys.instances, this.instanceId)
      .pexpire(keys.peers(this.instanceId), this.ttlMs * 2)
      .pexpire(keys.held(this.instanceId), this.ttlMs * 2)
      .exec();
  }

  /**
   * Rewrites this instance's HASHes from local state and announces it (`hello`:
   * instances that read before this write reload it), then reloads every other
   * live instance.
   */
  private async sync(): Promise<void> {
    const run = ++this.syncRun;
    const { link, keys } = this.options;
    try {
      const own = link.command.multi().del(keys.peers(this.instanceId), keys.held(this.instanceId));
      if (this.localPeers.size > 0) {
        own.hset(keys.peers(this.instanceId), Object.fromEntries([...this.localPeers].map(([id, record]) => [id, JSON.stringify(record)])));
      }
      const held = [...this.localHeld].filter(([, assets]) => assets.size > 0);
      if (held.length > 0) own.hset(keys.held(this.instanceId), Object.fromEntries(held.map(([id, assets]) => [id, JSON.stringify([...assets])])));
      own.set(keys.alive(this.instanceId), '1', 'PX', this.ttlMs)
        .sadd(keys.instances, this.instanceId)
        .pexpire(keys.peers(this.instanceId), this.ttlMs * 2)
        .pexpire(keys.held(this.instanceId), this.ttlMs * 2)
        .publish(keys.events, JSON.stringify({ i: this.instanceId, e: 'hello' }));
      await own.exec();
      if (run !== this.syncRun || this.closed) return;
      const instances = (await link.command.smembers(keys.instances)).filter((instance) => instance !== this.instanceId);
      for (const instance of [...this.remote.keys()]) if (!instances.includes(instance)) this.dropInstance(instance);
      await this.reload(instances, run);
    } catch {
      // Redis dropped during the sync: the next up() runs it again.
    }
  }

  /** Replaces the mirror's view of these instances with what Redis holds; events arriving meanwhile are replayed after. */
  private async reload(instances: readonly string[], run: number): Promise<void> {
    if (instances.length === 0) return;
    const { link, keys } = this.options;
    this.heldBack ??= [];
    this.loading++;
    try {
      const pipeline = link.command.pipeline();
      for (const instance of instances) pipeline.exists(keys.alive(instance)).hgetall(keys.peers(instance)).hgetall(keys.held(instance));
      const results = (await pipeline.exec()) ?? [];
      if (run !== this.syncRun || this.closed) return;
      instances.forEach((instance, index) => {
        const [alive, peers, holdings] = [results[index * 3]?.[1], results[index * 3 + 1]?.[1], results[index * 3 + 2]?.[1]];
        this.dropInstance(instance);
        if (alive === 1) this.loadInstance(instance, (peers ?? {}) as Record<string, string>, (holdings ?? {}) as Record<string, string>);
      });
    } finally {
      if (--this.loading === 0) {
        const replay = this.heldBack ?? [];
        this.heldBack = undefined;
        if (run === this.syncRun) for (const event of replay) this.apply(event);
      }
    }
  }

  private loadInstance(instance: string, peers: Record<string, string>, holdings: Record<string, string>): void {
    for (const value of Object.values(peers)) {
      let record: PeerRecord;
      try {
        record = parsePeerRecord(value);
      } catch {
        continue;
      }
      if (this.localPeers.has(record.id) || !this.mirror.join(record)) continue;
      this.trackRemote(instance, record);
    }
    for (const [id, value] of Object.entries(holdings)) {
      if (this.instanceOfPeer.get(id) !== instance) continue;
      try {
        this.mirror.have(id, parseHeld(value));
      } catch {
        // A malformed list is skipped; the peer still counts as online.
      }
    }
  }
}

function copyRecord(peer: PeerRecord): PeerRecord {
  return {
    id: peer.id, role: peer.role, network: peer.network,
    ...(peer.country !== undefined ? { country: peer.country } : {}),
    ...(peer.asn !== undefined ? { asn: peer.asn } : {}),
  };
}
