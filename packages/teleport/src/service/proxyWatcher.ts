/**
 * @module service/proxyWatcher
 * The live list of the cluster's proxies, kept by auth's watch stream (kind proxy) through the same
 * watch-fed cache the proxy uses for nodes (proxy/ssh/resourceCache). Records whose TTL ran out by
 * the injected clock are left out even before auth's delete event arrives, so a proxy that died
 * stops being offered to agents. Feeds reverse tunnel discovery.
 */
import type { Clock } from '@teleport-ts/api/clock';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import { ResourceCache, type WatchSource } from '../proxy/ssh/resourceCache.ts';
import type { Logger } from '../utils/logger.ts';

/** Inputs of {@link ProxyWatcher}. */
export interface ProxyWatcherOptions {
  /** An AuthClient (watchEvents + listResources) with a role that may read proxies. */
  authClient: WatchSource;
  clock: Clock;
  logger: Logger;
  /** First and largest delay between reconnect attempts; default 500 ms and 15 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Watches proxy records. */
export class ProxyWatcher {
  private cache: ResourceCache<ProxyServer> | undefined;
  private readonly listeners = new Set<(proxies: ProxyServer[]) => void>();
  private resolveReady!: () => void;
  /** Resolves once the first list of proxies is loaded. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.resolveReady = resolve));

  constructor(private readonly opts: ProxyWatcherOptions) {}

  /** Starts watching (idempotent). */
  start(): void {
    if (this.cache) return;
    const { authClient, logger, retryMinMs, retryMaxMs } = this.opts;
    this.cache = new ResourceCache<ProxyServer>({
      source: authClient, kind: 'proxy', logger,
      ...(retryMinMs !== undefined && { retryMinMs }),
      ...(retryMaxMs !== undefined && { retryMaxMs }),
      onChange: () => this.changed(),
    });
    void this.cache.ready.then(() => this.resolveReady());
  }

  /** The live proxies, sorted by name; empty before the first load. */
  proxies(): ProxyServer[] {
    const now = this.opts.clock.nowMs();
    return (this.cache?.values() ?? [])
      .filter((p) => !expired(p, now))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  }

  /** Calls `cb` with the current list after every change; returns a function that unsubscribes. */
  onChange(cb: (proxies: ProxyServer[]) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.cache?.close();
  }

  private changed(): void {
    if (this.listeners.size === 0) return;
    const list = this.proxies();
    for (const cb of [...this.listeners]) {
      try {
        cb(list);
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'proxy list listener failed');
      }
    }
  }
}

/** True when the record's `metadata.expires` has passed. */
function expired(p: ProxyServer, nowMs: number): boolean {
  const at = p.metadata.expires ? Date.parse(p.metadata.expires) : NaN;
  return !Number.isNaN(at) && at <= nowMs;
}
