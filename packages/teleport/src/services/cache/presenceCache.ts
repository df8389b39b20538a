/**
 * @module services/cache/presenceCache
 * Auth's in-memory copy of nodes and proxies, fed by a backend watcher, so a thousand agents
 * heartbeating and `tsh ls` over them do not turn every list into a range read and a JSON parse
 * of every record (upstream's auth cache, for the presence kinds only).
 *
 * Loading: register the watcher, wait until it is ready, then range-read both prefixes, then apply
 * the events the watcher queued meanwhile, in order. Every write after `ready` is queued, so nothing
 * is missed; events for writes the range read already saw are applied again and converge on the
 * same state. The copy serves reads only once that backlog is applied.
 *
 * Consistency: backends (memory, SQLite) emit a write's event synchronously at commit, and applying
 * events takes only microtasks, so each read first waits one event-loop turn (`setImmediate`);
 * after it, every write that completed before the read began is in the copy. A caller thus reads its
 * own writes, as it would from the backend.
 *
 * Failure: a watcher that falls behind (overflow) or a failed load makes the cache fall back to the
 * backend and reload after a capped backoff. A watcher that ends without error means the backend was
 * closed, and the cache stops. Expired records are dropped on read by the injected clock.
 */
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import type { Backend, BackendEvent, Watcher } from '../../backend/backend.ts';
import { rangeEnd } from '../../backend/backend.ts';
import { DEFAULT_WATCHER_QUEUE_SIZE } from '../../backend/watchers.ts';
import { NODES_PREFIX, PROXIES_PREFIX, PresenceService } from '../local/presence.ts';
import { silentLogger, type Logger } from '../../utils/logger.ts';
import { PrefixView } from './prefixView.ts';

/** The presence reads the cache answers; PresenceService has the same ones. */
export interface PresenceReader {
  getNode(name: string): Promise<Server>;
  listNodes(): Promise<Server[]>;
  getProxy(name: string): Promise<ProxyServer>;
  listProxies(): Promise<ProxyServer[]>;
}

/** Inputs of {@link PresenceCache}. */
export interface PresenceCacheOptions {
  backend: Backend;
  /** Answers reads while the cache is not loaded; defaults to a PresenceService over `backend`. */
  fallback?: PresenceReader;
  /** Expiry clock; defaults to the backend's. */
  clock?: Clock;
  logger?: Logger;
  /** Events the watcher may buffer (e.g. while loading); default 8x the backend default. */
  queueSize?: number;
  /** First and largest delay before reloading after a failure; default 250 ms and 10 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * Nodes and proxies, served from memory once loaded. Returned resources are shared and frozen:
 * copy one before changing it.
 */
export class PresenceCache implements PresenceReader {
  private readonly nodes = new PrefixView<Server>('node', NODES_PREFIX);
  private readonly proxies = new PrefixView<ProxyServer>('proxy', PROXIES_PREFIX);
  private readonly views = [this.nodes, this.proxies];
  private readonly fallback: PresenceReader;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private watcher: Watcher | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private live = false;
  private turn: Promise<void> | undefined;
  private resolveReady!: () => void;
  /** Resolves once the first load is complete (never rejects; reads fall back until then). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.resolveReady = resolve));

  constructor(private readonly opts: PresenceCacheOptions) {
    this.fallback = opts.fallback ?? new PresenceService(opts.backend);
    this.clock = opts.clock ?? opts.backend.clock;
    this.logger = opts.logger ?? silentLogger;
  }

  /** True while reads are served from memory. */
  get isLive(): boolean {
    return this.live;
  }

  /** Starts watching and loading (idempotent). */
  start(): void {
    if (this.closed || this.loop) return;
    this.loop = this.run();
  }

  /** Stops watching; later reads go to the backend. */
  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    this.watcher?.close();
    this.wake?.();
    await this.loop;
  }

  /** Reads one node. */
  async getNode(name: string): Promise<Server> {
    return (await this.caughtUp()) ? this.nodes.get(name, this.clock.nowMs()) : this.fallback.getNode(name);
  }

  /** Lists live nodes in key order. */
  async listNodes(): Promise<Server[]> {
    return (await this.caughtUp()) ? this.nodes.list(this.clock.nowMs()) : this.fallback.listNodes();
  }

  /** Reads one proxy. */
  async getProxy(name: string): Promise<ProxyServer> {
    return (await this.caughtUp()) ? this.proxies.get(name, this.clock.nowMs()) : this.fallback.getProxy(name);
  }

  /** Lists live proxies in key order. */
  async listProxies(): Promise<ProxyServer[]> {
    return (await this.caughtUp()) ? this.proxies.list(this.clock.nowMs()) : this.fallback.listProxies();
  }

  /** Waits until every write completed before the call is applied; false when memory cannot answer. */
  private async caughtUp(): Promise<boolean> {
    if (!this.live) return false;
    // One shared turn for concurrent readers; see the module comment for why one turn suffices.
    this.turn ??= new Promise((resolve) => setImmediate(() => {
      this.turn = undefined;
      resolve();
    }));
    await this.turn;
    return this.live;
  }

  private async run(): Promise<void> {
    const min = this.opts.retryMinMs ?? 250;
    const max = this.opts.retryMaxMs ?? 10_000;
    let delay = min;
    while (!this.closed) {
      try {
        const ended = await this.watchOnce(() => (delay = min));
        if (ended && !this.closed) {
          this.logger.warn('backend watcher ended (backend closed); presence reads go to the backend');
          break;
        }
      } catch (err) {
        this.live = false;
        if (this.closed) break;
        this.logger.warn({ err: errorMessage(err) }, `presence cache lost its watch; reading from the backend and reloading in ${delay} ms`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, max);
      }
    }
    this.live = false;
  }

  /** One watcher's life: load, serve, apply events. Resolves true when the watcher ended; throws on failure. */
  private async watchOnce(onLoaded: () => void): Promise<boolean> {
    const watcher = await this.opts.backend.newWatcher({
      prefixes: this.views.map((v) => v.prefix), name: 'presence-cache', queueSize: this.opts.queueSize ?? DEFAULT_WATCHER_QUEUE_SIZE * 8,
    });
    this.watcher = watcher;
    try {
      if (this.closed) return true;
      await watcher.ready;
      for (const v of this.views) {
        const skipped = v.reset((await this.opts.backend.getRange(v.prefix, rangeEnd(v.prefix))).items);
        if (skipped.length) this.logger.warn({ keys: skipped }, 'skipping unreadable presence records');
      }
      const applying = this.apply(watcher);
      applying.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      // Let the backlog queued during the range reads drain before serving from memory.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.closed) {
        this.live = true;
        onLoaded();
        this.resolveReady();
      }
      await applying;
      this.live = false;
      return true;
    } finally {
      this.live = false;
      watcher.close();
      this.watcher = undefined;
    }
  }

  private async apply(watcher: Watcher): Promise<void> {
    for await (const e of watcher.events()) this.applyEvent(e);
  }

  private applyEvent(e: BackendEvent): void {
    for (const v of this.views) {
      if (!e.item.key.startsWith(v.prefix)) continue;
      if (e.type === 'delete') {
        v.delete(e.item.key);
        return;
      }
      try {
        v.put(e.item);
      } catch (err) {
        // A corrupt record must not take the cache down; the backend read would fail on it too.
        v.delete(e.item.key);
        this.logger.warn({ key: e.item.key, err: errorMessage(err) }, 'skipping an unreadable presence record');
      }
      return;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
