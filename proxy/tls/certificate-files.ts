import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { readTlsFiles, type TlsMaterial } from './tls-material.js';

/** Renewal tools write the chain and the key one after the other: wait for both. */
export const CERT_RELOAD_DEBOUNCE_MS = 250;

/**
 * Watches TLS_CERT_FILE and TLS_KEY_FILE and hands a new, checked pair to
 * `apply`. The directories are watched, not the files: certbot and Kubernetes
 * secrets replace files by rename, which a watch on the old inode never sees.
 * A pair that fails to load is logged and the current certificate stays.
 */
export class CertificateFiles {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    private readonly apply: (material: TlsMaterial) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const names = new Set([basename(this.certFile), basename(this.keyFile)]);
    for (const dir of new Set([dirname(this.certFile), dirname(this.keyFile)])) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          // Some platforms give no name; a Kubernetes secret swaps a ..data symlink.
          if (name === null || names.has(name.toString()) || name.toString().startsWith('..')) this.schedule();
        });
        watcher.on('error', (err) => this.logger.warn({ err: err.message, dir }, 'certificate directory watch failed'));
        this.watchers.push(watcher);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, dir }, 'cannot watch certificate directory; reload with SIGHUP');
      }
    }
  }

  /** Reloads now (SIGHUP); returns whether the new pair was applied. */
  reload(): boolean {
    if (this.closed) return false;
    try {
      this.apply(readTlsFiles(this.certFile, this.keyFile));
      this.logger.info({ cert: this.certFile }, 'TLS certificate reloaded');
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'TLS certificate reload failed; keeping the current one');
      return false;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), CERT_RELOAD_DEBOUNCE_MS);
    this.timer.unref();
  }
}
