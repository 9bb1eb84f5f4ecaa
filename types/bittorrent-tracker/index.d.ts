// Minimal types for the parts of bittorrent-tracker's server the proxy uses.
declare module 'bittorrent-tracker/server' {
  import { EventEmitter } from 'node:events';

  export interface TrackerPeer {
    peerId: string;
    complete: boolean;
    type: string;
    ip?: string;
    port?: number;
  }

  export interface TrackerPeer {
    /** The peer's WebSocket (WebTorrent peers only). */
    socket?: import('ws').WebSocket;
  }

  export interface TrackerSwarm {
    infoHash: string;
    complete: number;
    incomplete: number;
    /** An LRU from the `lru` package. */
    peers: { readonly length: number; readonly keys: string[]; peek(key: string): TrackerPeer | undefined };
  }

  /** The default swarm; `announce` calls `_getPeers` synchronously to choose whom to send offers to. */
  export class Swarm implements TrackerSwarm {
    constructor(infoHash: string, server: Server);
    infoHash: string;
    complete: number;
    incomplete: number;
    peers: TrackerSwarm['peers'];
    announce(params: Record<string, unknown> & { socket?: import('ws').WebSocket }, cb?: (err: Error | null, response?: unknown) => void): void;
    _getPeers(numwant: number, ownPeerId: string, isWebRTC: boolean): TrackerPeer[];
  }

  export interface TrackerServerOptions {
    /** Announce interval told to clients (ms). */
    interval?: number;
    trustProxy?: boolean;
    http?: boolean | object;
    udp?: boolean | object;
    ws?: boolean | object;
    stats?: boolean;
    /** Most peers kept per swarm (LRU). */
    peersCacheLength?: number;
    peersCacheTtl?: number;
    /** Calls back with an Error to refuse an announce. */
    filter?: (infoHash: string, params: Record<string, unknown>, cb: (err?: Error | null) => void) => void;
  }

  export default class Server extends EventEmitter {
    constructor(options?: TrackerServerOptions);
    static Swarm: typeof Swarm;
    torrents: Record<string, TrackerSwarm>;
    createSwarm(infoHash: string, cb: (err: Error | null, swarm: TrackerSwarm) => void): void;
    destroyed: boolean;
    /** Takes over a connected `ws` WebSocket speaking the WebTorrent tracker protocol. */
    onWebSocketConnection(socket: import('ws').WebSocket, opts?: { trustProxy?: boolean }): void;
    close(cb?: (err?: Error | null) => void): void;
  }
}
