/**
 * Redis key and channel names of one PeerConnect cluster, all under one prefix
 * so several sites (or test runs) can share a Redis.
 */
export interface ClusterKeys {
  /** SET of instance ids that may hold peers. */
  instances: string;
  /** String with a TTL, refreshed by its instance: present = the instance is alive. */
  alive(instance: string): string;
  /** HASH peer id → JSON record, of one instance's peers. */
  peers(instance: string): string;
  /** HASH peer id → JSON array of asset ids it holds. */
  held(instance: string): string;
  /** Registry changes of every instance (join, leave, have, lost, gone). */
  events: string;
  /** Signaling messages for peers connected to one instance. */
  inbox(instance: string): string;
  /** String with a TTL: the JSON manifest of one image, by the SHA-256 of its origin URL. */
  manifest(urlHash: string): string;
}

export const DEFAULT_KEY_PREFIX = 'peerconnect:';

export function clusterKeys(prefix: string = DEFAULT_KEY_PREFIX): ClusterKeys {
  return {
    instances: `${prefix}instances`,
    alive: (instance) => `${prefix}alive:${instance}`,
    peers: (instance) => `${prefix}peers:${instance}`,
    held: (instance) => `${prefix}held:${instance}`,
    events: `${prefix}events`,
    inbox: (instance) => `${prefix}inbox:${instance}`,
    manifest: (urlHash) => `${prefix}manifest:${urlHash}`,
  };
}
