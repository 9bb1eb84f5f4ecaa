import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../core/logger.js';

/** First reconnect delay; doubles per attempt up to RECONNECT_MAX_MS (ioredis adds none of its own then). */
export const RECONNECT_BASE_MS = 100;
export const RECONNECT_MAX_MS = 5_000;
/** A command waits at most this long for a reply before it fails (Redis is then treated as down by the caller). */
export const COMMAND_TIMEOUT_MS = 2_000;
/** Longest a graceful QUIT may take at shutdown before the connections are dropped. */
export const QUIT_TIMEOUT_MS = 1_000;

export type RedisState = 'connecting' | 'up' | 'down';

export interface RedisLinkHandlers {
  /** Both connections are ready and subscribed: (re)synchronise shared state. */
  up(): void;
  /** A connection dropped: shared state can no longer be trusted until up() again. */
  down(): void;
  message(channel: string, payload: string): void;
}

export interface RedisLinkOptions {
  url: string;
  /** Channels the subscriber listens on (resubscribed on every reconnect). */
  channels: readonly string[];
  handlers: RedisLinkHandlers;
  logger?: Logger;
  /** Overrides for tests (e.g. a faster retry). */
  redisOptions?: RedisOptions;
}

/**
 * Two Redis connections (commands, and a subscriber that pub/sub makes
 * dedicated) with one view of whether Redis is usable. Commands fail at once
 * while Redis is down (no offline queue: a queued write replayed after a
 * restart would land before the state resync and could be stale). Reconnects
 * with capped exponential backoff; logs one line when Redis goes away and one
 * when it returns, not one per retry.
 */
export class RedisLink {
  readonly command: Redis;
  readonly subscriber: Redis;
  private current: RedisState = 'connecting';
  private closed = false;

  constructor(private readonly options: RedisLinkOptions) {
    const base: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt - 1, 16)),
      ...options.redisOptions,
    };
    this.command = new Redis(options.url, { ...base, connectionName: 'peerconnect' });
    // The subscriber's own offline queue stays on: SUBSCRIBE issued before 'ready' simply waits for it.
    this.subscriber = new Redis(options.url, { ...base, enableOfflineQueue: true, commandTimeout: undefined, connectionName: 'peerconnect-sub' });
    for (const client of [this.command, this.subscriber]) {
      // ioredis emits 'error' on every failed connect; the state change below is what gets logged.
      client.on('error', () => undefined);
      client.on('close', () => this.lost());
      client.on('ready', () => void this.maybeUp());
    }
    this.subscriber.on('message', (channel: string, payload: string) => options.handlers.message(channel, payload));
  }

  get state(): RedisState {
    return this.current;
  }

  /** Connects both; resolves once tried (Redis being down at start is not an error: it is retried). */
  async connect(): Promise<void> {
    await Promise.allSettled([this.command.connect(), this.subscriber.connect()]);
  }

  /**
   * Quits both connections (QUIT when connected, within QUIT_TIMEOUT_MS), else
   * just drops them: a QUIT queued for a Redis that is down would wait for it
   * and hold up the instance's shutdown. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const quit = (client: Redis): Promise<unknown> => (client.status === 'ready' ? client.quit().catch(() => undefined) : Promise.resolve());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([quit(this.command), quit(this.subscriber)]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    this.command.disconnect();
    this.subscriber.disconnect();
  }

  private async maybeUp(): Promise<void> {
    if (this.closed || this.command.status !== 'ready' || this.subscriber.status !== 'ready') return;
    try {
      await this.subscriber.subscribe(...this.options.channels);
    } catch {
      return; // Dropped again before subscribing: the next 'ready' retries.
    }
    if (this.closed || this.current === 'up' || this.command.status !== 'ready') return;
    const was = this.current;
    this.current = 'up';
    if (was === 'down') this.options.logger?.info('redis is back: sharing peers across instances again');
    this.options.handlers.up();
  }

  private lost(): void {
    if (this.closed || this.current === 'down') return;
    const was = this.current;
    this.current = 'down';
    this.options.logger?.warn(
      { redis: redactUrl(this.options.url) },
      was === 'up' ? 'redis unreachable: peers are shared only within this instance until it returns' : 'redis unreachable at start: peers stay within this instance until it is reachable',
    );
    this.options.handlers.down();
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.href;
  } catch {
    return 'redis://(unparsable)';
  }
}
