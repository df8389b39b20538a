/**
 * @module backend/backend
 * The key-value storage interface that all cluster state lives in. Implementations (memory, SQLite, and
 * later PostgreSQL) must pass the one compliance suite in `backendSuite.ts`. Keys are '/'-separated
 * strings like "/users/alice/params"; values are bytes. Expiry is driven by an injected Clock.
 */
import type { Clock } from '@teleport-ts/api/clock';

/** One stored item. */
export interface Item {
  /** Full key, e.g. "/roles/access". */
  key: string;
  /** Stored value. */
  value: Uint8Array;
  /** Expiry in epoch milliseconds; undefined means the item never expires. */
  expires?: number | undefined;
  /** Opaque revision, changes on every write; used for optimistic concurrency. */
  revision?: string | undefined;
}

/** The result of a write: the new revision, and the lease that can extend the item's life. */
export interface Lease {
  key: string;
  revision: string;
}

/** Result of a range read. */
export interface GetRangeResult {
  items: Item[];
}

/** Kinds of change a watcher receives. */
export type EventType = 'put' | 'delete';

/** A change to one key. For deletes only `item.key` is meaningful. */
export interface BackendEvent {
  type: EventType;
  item: Item;
}

/** Options for a watch. */
export interface WatchOptions {
  /** Key prefixes to watch; empty means everything. */
  prefixes?: string[];
  /** Name for diagnostics. */
  name?: string;
}

/**
 * A live stream of changes. Once `ready` resolves, every put/delete under the watched prefixes is
 * delivered in commit order; nothing committed after `ready` is missed.
 */
export interface Watcher {
  /** Async iteration over events; ends when the watcher or backend is closed. */
  events(): AsyncIterableIterator<BackendEvent>;
  /** Resolves once the watcher is registered and will not miss later writes. */
  ready: Promise<void>;
  /** Stops the watch and ends the iterator. */
  close(): void;
}

/** The storage interface. Every method is atomic with respect to a single key (or the range it names). */
export interface Backend {
  /** Reads one item; throws NotFoundError if missing or expired. */
  get(key: string): Promise<Item>;
  /** Reads items with start <= key < end, in key order, skipping expired ones; `limit` 0 means no limit. */
  getRange(start: string, end: string, limit?: number): Promise<GetRangeResult>;
  /** Creates an item; throws AlreadyExistsError if a live item has that key. */
  create(item: Item): Promise<Lease>;
  /** Creates or overwrites an item. */
  put(item: Item): Promise<Lease>;
  /** Overwrites an existing item; throws NotFoundError if it does not exist. */
  update(item: Item): Promise<Lease>;
  /** Replaces `expected` with `replaceWith` only if the stored value equals `expected.value`; else CompareFailedError (NotFoundError if missing). */
  compareAndSwap(expected: Item, replaceWith: Item): Promise<Lease>;
  /** Deletes one item; throws NotFoundError if missing. */
  delete(key: string): Promise<void>;
  /** Deletes every item with start <= key < end. */
  deleteRange(start: string, end: string): Promise<void>;
  /** Moves the expiry of an existing item (a heartbeat); throws NotFoundError if it is gone. */
  keepAlive(lease: Lease, expires: number): Promise<void>;
  /** Starts streaming changes. */
  newWatcher(options?: WatchOptions): Promise<Watcher>;
  /** The clock this backend uses for expiry. */
  readonly clock: Clock;
  /** Releases resources; later calls fail. */
  close(): Promise<void>;
}

/** Separator between key parts. */
export const SEPARATOR = '/';

/** Joins key parts into a backend key: key('users', 'alice') === '/users/alice'. */
export function key(...parts: string[]): string {
  return SEPARATOR + parts.join(SEPARATOR);
}

/** The smallest key greater than every key that starts with `prefix`; use as the `end` of a range read. */
export function rangeEnd(prefix: string): string {
  // Incrementing the last code unit gives the first string past the prefix range.
  if (prefix.length === 0) return '\uffff';
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** Encodes a string value. */
export function toBytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Decodes a string value. */
export function fromBytes(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
