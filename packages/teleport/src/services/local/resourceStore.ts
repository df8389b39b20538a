/**
 * @module services/local/resourceStore
 * Generic helpers that store resources as JSON in the backend. They own three conventions every local
 * service follows: `metadata.expires` (RFC 3339) becomes the item's expiry, reads fill
 * `metadata.revision` from the item's revision (it is never stored in the value), and an update that
 * carries a revision only succeeds if nobody wrote the object since it was read (optimistic locking).
 * Backend errors are rewritten into messages that name the object ("user 'bob' not found").
 */
import {
  AlreadyExistsError,
  BadParameterError,
  CompareFailedError,
  NotFoundError,
  isAlreadyExists,
  isCompareFailed,
  isNotFound,
} from '@teleport-ts/api/errors';
import type { Resource } from '@teleport-ts/api/types/resource';
import { fromBytes, rangeEnd, toBytes } from '../../backend/backend.ts';
import type { Backend, Item, Lease } from '../../backend/backend.ts';

/** How an object is named in messages: describe('user', 'bob') === "user 'bob'". */
export function describe(kind: string, name: string): string {
  return `${kind} '${name}'`;
}

/** Rejects names that cannot be used as one backend key segment. */
export function checkName(kind: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new BadParameterError(`${kind} name must not be empty`);
  }
  if (name.includes('/') || name === '.' || name === '..') {
    throw new BadParameterError(`${kind} name '${name}' must not contain '/' or be '.' or '..'`);
  }
}

/** Parses `metadata.expires` into epoch milliseconds; undefined when the resource does not expire. */
export function expiresMs(resource: Pick<Resource, 'kind' | 'metadata'>): number | undefined {
  const expires = resource.metadata.expires;
  if (expires === undefined || expires === '') return undefined;
  const ms = Date.parse(expires);
  if (Number.isNaN(ms)) {
    throw new BadParameterError(
      `${resource.kind} metadata.expires "${expires}" is not a valid time: use RFC 3339, like 2026-01-02T15:04:05Z`,
    );
  }
  return ms;
}

/** Serializes a resource into a backend item; the revision is left out of the stored value. */
export function toItem(key: string, resource: Resource): Item {
  const { revision: _revision, ...metadata } = resource.metadata;
  const value = toBytes(JSON.stringify({ ...resource, metadata }));
  return { key, value, expires: expiresMs(resource) };
}

/** Parses a stored JSON value, naming the key if it is corrupt. */
export function parseValue<T>(item: Item): T {
  try {
    return JSON.parse(fromBytes(item.value)) as T;
  } catch {
    // The parser's own message quotes part of the value, which may be a secret: leave it out.
    throw new BadParameterError(`stored value at ${item.key} is not valid JSON; the backend may be corrupt`);
  }
}

/** Rebuilds a resource from an item: fills metadata.revision, and metadata.expires if a keep-alive moved it. */
export function fromItem<T extends Resource>(item: Item): T {
  const resource = parseValue<T>(item);
  const metadata = { ...resource.metadata };
  if (item.revision !== undefined) metadata.revision = item.revision;
  if (item.expires !== undefined) {
    const stored = metadata.expires === undefined ? NaN : Date.parse(metadata.expires);
    if (stored !== item.expires) metadata.expires = new Date(item.expires).toISOString();
  }
  return { ...resource, metadata };
}

/** Returns a copy of `resource` carrying the revision of the write that stored it. */
function withRevision<T extends Resource>(resource: T, lease: Lease): T {
  return { ...resource, metadata: { ...resource.metadata, revision: lease.revision } };
}

/** Reads one resource; NotFoundError "<label> not found" if missing or expired. */
export async function getJSON<T extends Resource>(backend: Backend, key: string, label: string): Promise<T> {
  try {
    return fromItem<T>(await backend.get(key));
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`${label} not found`);
    throw err;
  }
}

/**
 * Reads every resource under `prefix` (which should end with '/'), in key order. When `match` is given
 * only keys it accepts are parsed, so users' secrets next to their records are skipped.
 */
export async function listJSON<T extends Resource>(
  backend: Backend,
  prefix: string,
  match?: (key: string) => boolean,
): Promise<T[]> {
  const { items } = await backend.getRange(prefix, rangeEnd(prefix));
  const wanted = match === undefined ? items : items.filter((item) => match(item.key));
  return wanted.map((item) => fromItem<T>(item));
}

/** A `listJSON` filter for "<prefix><name>/<leaf>" keys exactly, e.g. /users/alice/params but not /users/alice/mfa/params. */
export function directChild(prefix: string, leaf: string): (key: string) => boolean {
  return (k) => {
    if (!k.startsWith(prefix)) return false;
    const parts = k.slice(prefix.length).split('/');
    return parts.length === 2 && parts[1] === leaf;
  };
}

/** Creates a resource; AlreadyExistsError "<label> already exists" if it is there. Returns it with its revision. */
export async function createJSON<T extends Resource>(backend: Backend, key: string, resource: T, label: string): Promise<T> {
  try {
    return withRevision(resource, await backend.create(toItem(key, resource)));
  } catch (err) {
    if (isAlreadyExists(err)) throw new AlreadyExistsError(`${label} already exists`);
    throw err;
  }
}

/** Creates or overwrites a resource, ignoring any revision it carries (upstream's upsert). */
export async function putJSON<T extends Resource>(backend: Backend, key: string, resource: T): Promise<T> {
  return withRevision(resource, await backend.put(toItem(key, resource)));
}

/** The message for a lost optimistic-locking race. */
export function changedMessage(label: string): string {
  return `${label} was changed by someone else; re-read it and try again`;
}

/**
 * Overwrites an existing resource. Without `metadata.revision` it is a plain update; with one, the write
 * only happens if the stored revision still matches (CompareFailedError otherwise). The check and the
 * write are one compareAndSwap, so a writer that slips in between is detected too.
 */
export async function updateJSON<T extends Resource>(backend: Backend, key: string, resource: T, label: string): Promise<T> {
  const next = toItem(key, resource);
  const revision = resource.metadata.revision;
  try {
    if (revision === undefined) return withRevision(resource, await backend.update(next));
    const current = await backend.get(key);
    if (current.revision === revision) return withRevision(resource, await backend.compareAndSwap(current, next));
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`${label} not found`);
    if (isCompareFailed(err)) throw new CompareFailedError(changedMessage(label));
    throw err;
  }
  throw new CompareFailedError(changedMessage(label));
}

/** Deletes one key; NotFoundError "<label> not found" if it is missing. */
export async function deleteKey(backend: Backend, key: string, label: string): Promise<void> {
  try {
    await backend.delete(key);
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`${label} not found`);
    throw err;
  }
}

/** Reads a non-resource JSON record (password hash, MFA device); undefined when missing. */
export async function getRecord<T>(backend: Backend, key: string): Promise<{ value: T; item: Item } | undefined> {
  try {
    const item = await backend.get(key);
    return { value: parseValue<T>(item), item };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Encodes a non-resource JSON record as an item. */
export function recordItem(key: string, value: unknown, expires?: number): Item {
  return { key, value: toBytes(JSON.stringify(value)), expires };
}
