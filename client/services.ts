import type { ClientConfig } from '../protocol/client-config.js';
import type { ByteSource } from '../protocol/report.js';
import type { AssetId, PeerId } from '../protocol/signal-messages.js';
import type { ManifestClient } from './images/manifest-client.js';
import type { LinkIce, PeerPool } from './peer/peer-pool.js';
import type { Reporter } from './report/reporter.js';
import type { HolderDirectory } from './signal/holder-directory.js';
import type { AssetStore } from './store/asset-store.js';

/** What the image and media loaders share; built once by PeerConnectClient. */
export interface Services {
  readonly win: Window;
  readonly config: ClientConfig;
  readonly manifest: ManifestClient;
  readonly holders: HolderDirectory;
  readonly pool: PeerPool;
  readonly store: AssetStore;
  readonly reporter: Reporter;
  /** True while signaling is up, or reconnecting after it was (wants are asked again on reconnect). */
  signalingUp(): boolean;
  /** False when this visitor makes no peer connections (strict privacy without a TURN server). */
  p2pAllowed(): boolean;
  /** ICE settings for a new connection (the welcome's servers, fresh TURN credentials; relay only under strict privacy). */
  linkIce(): LinkIce | undefined;
  /** Our own peer id (undefined until welcomed). */
  selfId(): PeerId | undefined;
  /** Tell signaling we hold these (verified) assets. */
  announce(assets: AssetId[]): void;
  /** A peer sent bytes that failed verification: report it and never use it again. */
  reportBadPeer(peer: PeerId, asset: AssetId): void;
  sourceOf(peer: PeerId): ByteSource;
}
