// Minimal types for create-torrent 6 (only what PeerConnect uses).
declare module 'create-torrent' {
  export interface CreateTorrentOptions {
    name?: string;
    comment?: string;
    createdBy?: string;
    creationDate?: Date | number;
    private?: boolean;
    pieceLength?: number;
    /** Empty array: no trackers (otherwise public defaults are added). */
    announceList?: string[][];
    urlList?: string[];
    info?: Record<string, unknown>;
  }
  type Input = string | Buffer | Uint8Array | (string | Buffer | Uint8Array)[];
  function createTorrent(input: Input, opts: CreateTorrentOptions, cb: (err: Error | null, torrent: Uint8Array) => void): void;
  export default createTorrent;
}
