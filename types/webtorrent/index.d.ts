// Minimal types for webtorrent 3 (only what PeerConnect uses).
declare module 'webtorrent' {
  import type { EventEmitter } from 'node:events';

  export interface WebTorrentOptions {
    dht?: boolean | object;
    lsd?: boolean;
    utPex?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    utp?: boolean;
    webSeeds?: boolean;
    tracker?: boolean | { rtcConfig?: { iceServers?: { urls: string | string[] }[] }; wrtc?: unknown };
    maxConns?: number;
    uploadLimit?: number;
    downloadLimit?: number;
    torrentPort?: number;
    dhtPort?: number;
  }

  export interface TorrentOptions {
    announce?: string[];
    path?: string;
    name?: string;
    pieceLength?: number;
    urlList?: string[];
    private?: boolean;
    createdBy?: string;
    creationDate?: Date | number;
    skipVerify?: boolean;
    store?: unknown;
    destroyStoreOnDestroy?: boolean;
    /** Overrides the client's webSeeds setting for this torrent. */
    webSeeds?: boolean;
  }

  export interface TorrentFile {
    name: string;
    path: string;
    length: number;
    arrayBuffer(): Promise<ArrayBuffer>;
  }

  export interface Wire extends EventEmitter {
    type: string;
    remoteAddress?: string;
    uploaded: number;
    downloaded: number;
  }

  export interface Torrent extends EventEmitter {
    infoHash: string;
    magnetURI: string;
    name: string;
    length: number;
    files: TorrentFile[];
    wires: Wire[];
    numPeers: number;
    ready: boolean;
    done: boolean;
    progress: number;
    uploaded: number;
    downloaded: number;
    path: string;
    destroy(opts?: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): void;
    addWebSeed(url: string): void;
  }

  export default class WebTorrent extends EventEmitter {
    constructor(opts?: WebTorrentOptions);
    torrents: Torrent[];
    peerId: string;
    throttleUpload(rate: number): void;
    add(torrentId: string | Uint8Array | object, opts?: TorrentOptions, onTorrent?: (torrent: Torrent) => void): Torrent;
    seed(input: string | Uint8Array | (string | Uint8Array)[], opts?: TorrentOptions, onSeed?: (torrent: Torrent) => void): Torrent;
    get(torrentId: string): Promise<Torrent | null>;
    remove(torrentId: string | Torrent, opts?: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): Promise<void>;
    destroy(cb?: (err?: Error | null) => void): void;
  }
}
