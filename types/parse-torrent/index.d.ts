// Minimal types for parse-torrent 11 (only what PeerConnect uses).
declare module 'parse-torrent' {
  export interface ParsedTorrentFile {
    path: string;
    name: string;
    length: number;
    offset: number;
  }
  export interface ParsedTorrent {
    info: Record<string, unknown>;
    infoBuffer: Uint8Array;
    infoHash: string;
    infoHashBuffer: Uint8Array;
    name: string;
    announce: string[];
    urlList: string[];
    files: ParsedTorrentFile[];
    length: number;
    pieceLength: number;
    lastPieceLength: number;
    /** Hex SHA-1 of each piece. */
    pieces: string[];
    private?: boolean;
    created?: Date;
    createdBy?: string;
    comment?: string;
  }
  function parseTorrent(torrentId: Uint8Array | string | ParsedTorrent): Promise<ParsedTorrent>;
  export function toTorrentFile(parsed: Partial<ParsedTorrent> & { info: Record<string, unknown> }): Uint8Array;
  export default parseTorrent;
}
