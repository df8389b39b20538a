/**
 * @module backend/memory
 * An in-memory Backend for tests and throwaway clusters. Items live in an array kept sorted by key (code
 * point order), so point reads are a binary search and range reads walk only the range. Inserts and
 * deletes shift the array (a memmove), which stays cheap well past the tens of thousands of keys a cluster
 * holds. Everything runs synchronously inside each async method, so every operation is atomic.
 */
import { systemClock, type Clock } from '@teleport-ts/api/clock';
import { AlreadyExistsError, BadParameterError, CompareFailedError, NotFoundError } from '@teleport-ts/api/errors';
import type { Backend, BackendEvent, GetRangeResult, Item, Lease, Watcher, WatchOptions } from './backend.ts';
import {
  bytesEqual, closedError, compareKeys, copyBytes, DEFAULT_PURGE_INTERVAL_MS, isExpired, newRevision,
  normalizeExpires, normalizeLimit, validateBound, validateItem, validateKey, type WriteItem,
} from './items.ts';
import { DEFAULT_WATCHER_QUEUE_SIZE, WatcherHub } from './watchers.ts';

/** Options for MemoryBackend. */
export interface MemoryBackendOptions {
  /** Clock used for expiry; defaults to the system clock. */
  clock?: Clock;
  /** How often expired items are purged (emitting delete events); 0 disables the timer. Default 1000. */
  pollIntervalMs?: number;
  /** Default per-watcher queue size before a slow watcher is cut off. */
  watcherQueueSize?: number;
}

/** A stored entry; `value` is owned by the backend and never handed out directly. */
interface Entry {
  key: string;
  value: Uint8Array;
  expires: number | undefined;
  revision: string;
}

/** A Backend that keeps everything in process memory. */
export class MemoryBackend implements Backend {
  readonly clock: Clock;
  private readonly entries: Entry[] = [];
  private readonly hub: WatcherHub;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: MemoryBackendOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.hub = new WatcherHub(opts.watcherQueueSize ?? DEFAULT_WATCHER_QUEUE_SIZE);
    const interval = opts.pollIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    if (interval > 0) {
      this.timer = setInterval(() => void this.purgeExpired().catch(() => undefined), interval);
      this.timer.unref();
    }
  }

  async get(key: string): Promise<Item> {
    this.checkOpen();
    validateKey(key);
    const entry = this.live(key);
    if (!entry) throw notFound(key);
    return toItem(entry);
  }

  async getRange(start: string, end: string, limit?: number): Promise<GetRangeResult> {
    this.checkOpen();
    validateBound('start', start);
    validateBound('end', end);
    const max = normalizeLimit(limit);
    const now = this.clock.nowMs();
    const items: Item[] = [];
    for (let i = this.lowerBound(start); i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry;
      if (compareKeys(entry.key, end) >= 0) break;
      if (isExpired(entry.expires, now)) continue;
      items.push(toItem(entry));
      if (max > 0 && items.length >= max) break;
    }
    return { items };
  }

  async create(item: Item): Promise<Lease> {
    this.checkOpen();
    const w = validateItem(item);
    if (this.live(w.key)) throw new AlreadyExistsError(`backend key ${JSON.stringify(w.key)} already exists`);
    return this.write(w);
  }

  async put(item: Item): Promise<Lease> {
    this.checkOpen();
    return this.write(validateItem(item));
  }

  async update(item: Item): Promise<Lease> {
    this.checkOpen();
    const w = validateItem(item);
    if (!this.live(w.key)) throw notFound(w.key);
    return this.write(w);
  }

  async compareAndSwap(expected: Item, replaceWith: Item): Promise<Lease> {
    this.checkOpen();
    const w = validateItem(replaceWith);
    const want = validateItem(expected);
    if (expected.key !== w.key) {
      throw new BadParameterError(`compareAndSwap keys differ: ${JSON.stringify(expected.key)} vs ${JSON.stringify(w.key)}`);
    }
    const entry = this.live(w.key);
    if (!entry) throw notFound(w.key);
    if (!bytesEqual(entry.value, want.value)) {
      throw new CompareFailedError(`backend key ${JSON.stringify(w.key)} changed concurrently: re-read it and retry`);
    }
    return this.write(w);
  }

  async delete(key: string): Promise<void> {
    this.checkOpen();
    validateKey(key);
    const i = this.lowerBound(key);
    const entry = this.entries[i];
    if (!entry || entry.key !== key || isExpired(entry.expires, this.clock.nowMs())) throw notFound(key);
    this.entries.splice(i, 1);
    this.hub.emit([deleteEvent(key)]);
  }

  async deleteRange(start: string, end: string): Promise<void> {
    this.checkOpen();
    validateBound('start', start);
    validateBound('end', end);
    const from = this.lowerBound(start);
    let to = from;
    while (to < this.entries.length && compareKeys((this.entries[to] as Entry).key, end) < 0) to++;
    if (to === from) return;
    const removed = this.entries.splice(from, to - from);
    this.hub.emit(removed.map((e) => deleteEvent(e.key)));
  }

  async keepAlive(lease: Lease, expires: number): Promise<void> {
    this.checkOpen();
    validateKey(lease.key);
    const when = normalizeExpires(expires);
    const entry = this.live(lease.key);
    if (!entry) throw notFound(lease.key);
    entry.expires = when;
    entry.revision = newRevision();
    this.hub.emit([{ type: 'put', item: toItem(entry) }]);
  }

  async purgeExpired(): Promise<number> {
    this.checkOpen();
    const now = this.clock.nowMs();
    const events: BackendEvent[] = [];
    let kept = 0;
    // One compacting pass: O(n), no allocation when nothing has expired.
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry;
      if (isExpired(entry.expires, now)) {
        events.push(deleteEvent(entry.key));
      } else {
        if (kept !== i) this.entries[kept] = entry;
        kept++;
      }
    }
    this.entries.length = kept;
    this.hub.emit(events);
    return events.length;
  }

  async newWatcher(options?: WatchOptions): Promise<Watcher> {
    this.checkOpen();
    return this.hub.add(options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.hub.closeAll();
    this.entries.length = 0;
  }

  /** Stores a validated item (replacing any entry with that key) and emits its put event. */
  private write(w: WriteItem): Lease {
    const entry: Entry = { key: w.key, value: w.value, expires: w.expires, revision: newRevision() };
    const i = this.lowerBound(w.key);
    if (this.entries[i]?.key === w.key) this.entries[i] = entry;
    else this.entries.splice(i, 0, entry);
    this.hub.emit([{ type: 'put', item: toItem(entry) }]);
    return { key: entry.key, revision: entry.revision };
  }

  /** The live (present and unexpired) entry for `key`, if any. */
  private live(key: string): Entry | undefined {
    const entry = this.entries[this.lowerBound(key)];
    if (!entry || entry.key !== key || isExpired(entry.expires, this.clock.nowMs())) return undefined;
    return entry;
  }

  /** Index of the first entry whose key is >= `key`. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys((this.entries[mid] as Entry).key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError('memory');
  }
}

/** A caller-owned copy of an entry. */
function toItem(entry: Entry): Item {
  const item: Item = { key: entry.key, value: copyBytes(entry.value), revision: entry.revision };
  if (entry.expires !== undefined) item.expires = entry.expires;
  return item;
}

function deleteEvent(key: string): BackendEvent {
  return { type: 'delete', item: { key, value: new Uint8Array(0) } };
}

function notFound(key: string): NotFoundError {
  return new NotFoundError(`backend key ${JSON.stringify(key)} not found`);
}
