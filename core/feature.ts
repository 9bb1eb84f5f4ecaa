import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A part of the server with its own lifetime; the composition root starts and closes them in order. */
export interface Feature {
  readonly name: string;
  start?(): Promise<void>;
  close?(): Promise<void>;
  /** False while the feature cannot serve (reported by /readyz). */
  ready?(): boolean;
  /** Extra fields for /readyz's body (e.g. `redis: 'down'`) that do not make the instance unready. */
  status?(): Record<string, string>;
}

export interface RouteContext {
  url: URL;
  /** Path after the prefix, e.g. `seed/abc` for `/__p2p/seed/abc`. */
  subpath: string;
  requestId: string;
  clientAddress: string;
  publicBase: string;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => void | Promise<void>;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RouteContext) => void;

export interface RouteOptions {
  methods?: string[];
  /** Requires ADMIN_TOKEN when one is configured. */
  admin?: boolean;
}

/** Where features register their routes under the reserved prefix. */
export interface Routes {
  route(path: string, handler: RouteHandler, options?: RouteOptions): this;
  upgrade(path: string, handler: UpgradeHandler): this;
}

/*
 * Narrow views one feature gives another. The composition root (proxy/app.ts) is
 * the only place that hands them over, once, through constructor arguments.
 */

/** Browser holders per asset id (signaling's registry): the threshold policy and the manifest read it. */
export interface HolderCounts {
  holderCount(assetId: string): number;
}

/** Torrents this server built (the seeder's store): the tracker opens swarms only for these. */
export interface KnownTorrents {
  known(infoHash: string): boolean;
}

/** The origin URL behind an asset id (the seeder's media index), for naming assets in /stats. */
export interface AssetUrls {
  urlOf(assetId: string): string | undefined;
  /** The indexed size in bytes, which bounds what a report may claim for the asset. */
  sizeOf?(assetId: string): number | undefined;
}

/**
 * Answers an ACME HTTP-01 challenge: the key authorization for `token`, or
 * undefined (404) when no order is waiting for it.
 */
export type AcmeChallengeHandler = (token: string) => string | undefined;

/**
 * What a certificate source (cert files, an ACME client) needs from the HTTPS
 * server: swap the certificate for new connections, and answer HTTP-01
 * challenges on the plain-HTTP listener (HTTP_PORT). `PeerConnectServer` implements it.
 */
export interface CertificateTarget {
  /** Checks the pair (throws when the key does not fit) and serves it to new connections; open ones keep theirs. */
  setCertificate(cert: Buffer | string, key: Buffer | string): void;
  setAcmeChallengeHandler(handler: AcmeChallengeHandler | undefined): void;
}
