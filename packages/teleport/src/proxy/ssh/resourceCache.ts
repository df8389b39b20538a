/**
 * @module proxy/ssh/resourceCache
 * A local copy of one resource kind, kept current by the auth service's watch stream: open the
 * watch, wait for its "init" event, list the kind, then apply put/delete events in order. Events
 * that arrive while the list is in flight are buffered by the stream and applied after it, so the
 * copy converges on the backend's state. A broken stream is reopened with capped backoff; meanwhile
 * the last known copy keeps serving (it is marked stale, not cleared). The loop is
 * services/watchLoop's.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Resource } from '@teleport-ts/api/types/resource';
import { runWatchLoop } from '../../services/watchLoop.ts';
import type { Logger } from '../../utils/logger.ts';

/** The two calls of the auth client a cache uses. */
export type WatchSource = Pick<AuthClient, 'watchEvents' | 'listResources'>;

/** Inputs of {@link ResourceCache}. */
export interface ResourceCacheOptions<T extends Resource> {
  source: WatchSource;
  /** The resource kind, as WatchEvents and ListResources name it ("node", "cert_authority"). */
  kind: string;
  /** The name the watch stream uses for a resource (metadata.name, or "type/name" for CAs). */
  keyOf?: (resource: T) => string;
  logger: Logger;
  /** Called after every change (snapshot or event). */
  onChange?: () => void;
  /** First and largest delay between reconnect attempts; default 500 ms and 15 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** A watched, in-memory copy of every resource of one kind. */
export class ResourceCache<T extends Resource> {
  private readonly items = new Map<string, T>();
  private readonly abort = new AbortController();
  private readonly keyOf: (r: T) => string;
  private fresh = false;
  private loaded = false;
  private resolveReady!: () => void;
  /** Settles once the first snapshot is loaded (never rejects; see {@link ResourceCache.isFresh}). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.resolveReady = resolve));
  private readonly loop: Promise<void>;

  constructor(private readonly opts: ResourceCacheOptions<T>) {
    this.keyOf = opts.keyOf ?? ((r) => r.metadata.name);
    this.loop = this.run();
  }

  /** True while the watch stream is up and the copy is current. */
  get isFresh(): boolean {
    return this.fresh;
  }

  /** True once a first snapshot was loaded (the copy may be stale since). */
  get hasSnapshot(): boolean {
    return this.loaded;
  }

  /** Every cached resource. */
  values(): T[] {
    return [...this.items.values()];
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { logger, kind } = this.opts;
    await runWatchLoop({
      source: this.opts.source, kinds: [kind], signal: this.abort.signal,
      minDelayMs: this.opts.retryMinMs ?? 500, maxDelayMs: this.opts.retryMaxMs ?? 15_000,
      onEvent: async (ev) => {
        if (ev.type === 'init') await this.snapshot();
        else if (ev.type === 'put' && ev.resource) this.items.set(ev.name, ev.resource as T);
        else if (ev.type === 'delete') this.items.delete(ev.name);
        this.opts.onChange?.();
      },
      onDown: ({ failed, err, delayMs }) => {
        if (failed) logger.warn({ kind, err: (err as Error).message }, `watch of ${kind} failed; retrying in ${delayMs} ms`);
        else if (!this.abort.signal.aborted) logger.warn({ kind }, 'watch stream ended; reconnecting');
        this.fresh = false;
      },
    });
    this.fresh = false;
  }

  private async snapshot(): Promise<void> {
    const list = await this.opts.source.listResources<T>(this.opts.kind);
    this.items.clear();
    for (const r of list) this.items.set(this.keyOf(r), r);
    this.fresh = true;
    this.loaded = true;
    this.resolveReady();
  }
}
