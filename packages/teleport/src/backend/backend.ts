/**
 * @module backend/backend
 * The key-value storage interface that all cluster state lives in. Implementations (memory, SQLite, and
 * later PostgreSQL) must pass the one compliance suite in `backendSuite.ts`.
 *
 * Rules every implementation follows:
 * - Keys are non-empty, well-formed Unicode strings without NUL, conventionally '/'-separated
 *   ("/users/alice/params"). They sort by Unicode code point, which equals UTF-8 byte order (SQLite's
 *   BINARY collation, PostgreSQL's "C" collation); JavaScript's `<` differs for astral characters.
 * - Values are arbitrary bytes. Values handed out (by reads and events) must be treated as read-only.
 * - An item whose `expires <= clock.nowMs()` is invisible to every read and conditional write, exactly as
 *   if it had been deleted; `create` may overwrite it. `purgeExpired` (also run on a timer) removes such
 *   items and emits one 'delete' event each, so watchers learn about expiry (presence relies on this).
 * - Every successful write gets a fresh revision and emits exactly one event per key it changed.
 */
import type { Clock } from '@teleport-ts/api/clock';

/** One stored item. */
export interface Item {
  /** Full key, e.g. "/roles/access". */
  key: string;
  /** Stored value. */
  value: Uint8Array;
  /** Expiry in epoch milliseconds (fractions are floored); undefined means the item never expires. */
  expires?: number | undefined;
  /** Opaque revision, changes on every write; set by the backend, ignored on input. */
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

/**
 * A change to one key. Put events carry the full new item (value, expires, revision); for deletes
 * (explicit, range, or expiry) only `item.key` is meaningful and `item.value` is empty.
 */
export interface BackendEvent {
  type: EventType;
  item: Item;
}

/** Options for a watch. */
export interface WatchOptions {
  /** Key prefixes to watch; empty or absent means everything. */
  prefixes?: string[];
  /** Name for diagnostics (appears in the overflow error). */
  name?: string;
  /** Events buffered for a slow consumer before the watcher is closed with an error; backend default if absent. */
  queueSize?: number;
}

/**
 * A live stream of changes. Once `ready` resolves, every put/delete under the watched prefixes is
 * delivered in commit order; nothing committed after `ready` is missed. A consumer that falls more than
 * `queueSize` events behind is cut off: its iterator throws a LimitExceededError and it must re-read
 * state and start a new watcher (the same recovery as Teleport's "buffer overflow").
 */
export interface Watcher {
  /** Async iteration over events; ends when the watcher or backend is closed. Single consumer. */
  events(): AsyncIterableIterator<BackendEvent>;
  /** Resolves once the watcher is registered and will not miss later writes. */
  ready: Promise<void>;
  /** Stops the watch and ends the iterator. Idempotent. */
  close(): void;
}

/** The storage interface. Every method is atomic with respect to a single key (or the range it names). */
export interface Backend {
  /** Reads one item; throws NotFoundError if missing or expired. */
  get(key: string): Promise<Item>;
  /**
   * Reads live items with start <= key < end, in key order. `limit` absent or 0 means no limit; it counts
   * live items only. Use `rangeEnd(prefix)` as `end` to read everything under a prefix.
   */
  getRange(start: string, end: string, limit?: number): Promise<GetRangeResult>;
  /** Creates an item; throws AlreadyExistsError if a live item has that key (an expired one is overwritten). */
  create(item: Item): Promise<Lease>;
  /** Creates or overwrites an item. */
  put(item: Item): Promise<Lease>;
  /** Overwrites an existing live item; throws NotFoundError if it does not exist or has expired. */
  update(item: Item): Promise<Lease>;
  /**
   * Replaces the item with `replaceWith` only if the live stored value equals `expected.value` byte for
   * byte; else CompareFailedError (NotFoundError if missing or expired). Keys must match (BadParameterError).
   */
  compareAndSwap(expected: Item, replaceWith: Item): Promise<Lease>;
  /** Deletes one live item; throws NotFoundError if missing or expired. */
  delete(key: string): Promise<void>;
  /** Deletes every item (live or expired) with start <= key < end, emitting a delete event for each. */
  deleteRange(start: string, end: string): Promise<void>;
  /**
   * Moves the expiry of an existing live item (a heartbeat), giving it a new revision and emitting a put
   * event; throws NotFoundError if it is gone or expired. Only `lease.key` is used.
   */
  keepAlive(lease: Lease, expires: number): Promise<void>;
  /** Deletes every expired item, emits a delete event for each, and returns how many were deleted. */
  purgeExpired(): Promise<number>;
  /** Starts streaming changes. */
  newWatcher(options?: WatchOptions): Promise<Watcher>;
  /** The clock this backend uses for expiry. */
  readonly clock: Clock;
  /** Stops background work, ends every watcher and releases resources; later calls fail. Idempotent. */
  close(): Promise<void>;
}

/** Separator between key parts. */
export const SEPARATOR = '/';

/** Joins key parts into a backend key: key('users', 'alice') === '/users/alice'. */
export function key(...parts: string[]): string {
  return SEPARATOR + parts.join(SEPARATOR);
}

/** The largest code point; also the `end` used for "everything" (keys starting with U+10FFFF are not valid in practice). */
const MAX_CODE_POINT = 0x10ffff;

/**
 * The smallest key greater than every key that starts with `prefix`, in code point order; use as the
 * `end` of a range read: getRange(prefix, rangeEnd(prefix)).
 */
export function rangeEnd(prefix: string): string {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop() as string;
    let next = (last.codePointAt(0) ?? 0) + 1;
    if (next > MAX_CODE_POINT) continue; // carry: nothing follows U+10FFFF, bump the previous character
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // surrogates are not characters
    return points.join('') + String.fromCodePoint(next);
  }
  return String.fromCodePoint(MAX_CODE_POINT);
}

/** Encodes a string value. */
export function toBytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Decodes a string value. */
export function fromBytes(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
