/**
 * @module services/cache/prefixView
 * The in-memory copy of the resources stored directly under one backend key prefix (one resource per
 * key, `<prefix><name>`), as the presence cache holds them. Entries are parsed once when their
 * event arrives and frozen, so reads hand out shared objects without copying (and their JSON text
 * is computed at most once per object, see sharedJSON.ts). Reads skip, and drop,
 * entries whose expiry has passed by the injected clock, the same rule the backend applies, so
 * a crashed agent disappears on time even before the backend's purge emits its delete event.
 */
import { NotFoundError } from '@teleport-ts/api/errors';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { Item } from '../../backend/backend.ts';
import { compareKeys, isExpired } from '../../backend/items.ts';
import { describe, fromItem } from '../local/resourceStore.ts';
import { markShared } from './sharedJSON.ts';

interface Entry<T> {
  resource: T;
  expires: number | undefined;
}

/** Resources of one kind under one prefix, in key order. */
export class PrefixView<T extends Resource> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Names in key order; rebuilt lazily after a name is added or removed (heartbeats only replace). */
  private sorted: string[] | undefined;

  constructor(
    /** The kind, for messages ("node 'x' not found"). */
    readonly kind: string,
    /** The key prefix, ending with '/'. */
    readonly prefix: string,
  ) {}

  /** Number of entries held, expired ones included until a read drops them. */
  get size(): number {
    return this.entries.size;
  }

  /** The resource name for `key`, or undefined when the key is not one of this view's records. */
  nameOf(key: string): string | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const name = key.slice(this.prefix.length);
    return name.length > 0 && !name.includes('/') ? name : undefined;
  }

  /** Replaces the whole content with the items of a range read; returns the keys of corrupt values it skipped. */
  reset(items: readonly Item[]): string[] {
    this.entries.clear();
    this.sorted = undefined;
    const skipped: string[] = [];
    for (const item of items) {
      try {
        this.put(item);
      } catch {
        skipped.push(item.key);
      }
    }
    return skipped;
  }

  /** Stores the item at its key (a put event or a range-read item). Throws if the value is corrupt. */
  put(item: Item): void {
    const name = this.nameOf(item.key);
    if (name === undefined) return;
    const resource = deepFreeze(fromItem<T>(item));
    markShared(resource);
    if (!this.entries.has(name)) this.sorted = undefined;
    this.entries.set(name, { resource, expires: item.expires });
  }

  /** Removes the record at `key` (a delete event). */
  delete(key: string): void {
    const name = this.nameOf(key);
    if (name !== undefined && this.entries.delete(name)) this.sorted = undefined;
  }

  /** One live resource; NotFoundError like the backend read's when missing or expired. */
  get(name: string, nowMs: number): T {
    const e = this.entries.get(name);
    if (e && !this.dropIfExpired(name, e, nowMs)) return e.resource;
    throw new NotFoundError(`${describe(this.kind, name)} not found`);
  }

  /** Every live resource, in key order (the order of a backend range read). */
  list(nowMs: number): T[] {
    const sorted = (this.sorted ??= [...this.entries.keys()].sort(compareKeys));
    const out: T[] = [];
    // Dropping an expired entry replaces this.sorted rather than changing the array being walked.
    for (const name of sorted) {
      const e = this.entries.get(name);
      if (e && !this.dropIfExpired(name, e, nowMs)) out.push(e.resource);
    }
    return out;
  }

  private dropIfExpired(name: string, e: Entry<T>, nowMs: number): boolean {
    if (!isExpired(e.expires, nowMs)) return false;
    this.entries.delete(name);
    this.sorted = undefined;
    return true;
  }
}

/** Freezes an object graph, so a caller that tries to change a shared cached resource fails loudly. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
