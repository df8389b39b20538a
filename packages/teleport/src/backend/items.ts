/**
 * @module backend/items
 * Validation and small pure helpers shared by every backend implementation, so that all of them accept
 * and reject exactly the same input and order keys the same way.
 */
import { randomUUID } from 'node:crypto';
import { BadParameterError, ConnectionProblemError } from '@teleport-ts/api/errors';
import type { Item } from './backend.ts';

/** Default period of the background purge of expired items, shared by the implementations. */
export const DEFAULT_PURGE_INTERVAL_MS = 1000;

/** Matches a lone (unpaired) UTF-16 surrogate, which cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Throws BadParameterError unless `key` is a non-empty, well-formed string without NUL characters. */
export function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new BadParameterError('backend key must be a non-empty string');
  }
  if (key.includes('\0')) {
    throw new BadParameterError(`backend key ${JSON.stringify(key)} contains a NUL character, which storage engines reject`);
  }
  if (LONE_SURROGATE.test(key)) {
    throw new BadParameterError(`backend key ${JSON.stringify(key)} is not well-formed Unicode (unpaired surrogate)`);
  }
}

/** Throws BadParameterError unless a range bound is valid: a key, or empty (which sorts first). */
export function validateBound(name: string, bound: string): void {
  if (typeof bound !== 'string') throw new BadParameterError(`range ${name} must be a string`);
  if (bound.length > 0) validateKey(bound);
}

/** Checks and normalises an expiry: undefined stays undefined, numbers are floored to whole milliseconds. */
export function normalizeExpires(expires: number | undefined): number | undefined {
  if (expires === undefined) return undefined;
  if (typeof expires !== 'number' || !Number.isFinite(expires)) {
    throw new BadParameterError(`expiry must be a finite number of epoch milliseconds, got ${String(expires)}`);
  }
  return Math.floor(expires);
}

/** A validated copy of an item to be written, without its (backend-assigned) revision. */
export interface WriteItem {
  key: string;
  value: Uint8Array;
  expires: number | undefined;
}

/** Validates an item for writing and returns a normalised copy that owns its bytes. */
export function validateItem(item: Item): WriteItem {
  if (item === null || typeof item !== 'object') throw new BadParameterError('backend item must be an object');
  validateKey(item.key);
  if (!(item.value instanceof Uint8Array)) {
    throw new BadParameterError(`value for backend key ${JSON.stringify(item.key)} must be a Uint8Array`);
  }
  return { key: item.key, value: copyBytes(item.value), expires: normalizeExpires(item.expires) };
}

/** Throws BadParameterError unless `limit` is absent or a non-negative integer. */
export function normalizeLimit(limit: number | undefined): number {
  if (limit === undefined) return 0;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new BadParameterError(`range limit must be a non-negative integer, got ${String(limit)}`);
  }
  return limit;
}

/** True when an item with this expiry is no longer visible at `nowMs`. */
export function isExpired(expires: number | undefined | null, nowMs: number): boolean {
  return expires !== undefined && expires !== null && expires <= nowMs;
}

/** A new unique revision for a write. */
export function newRevision(): string {
  return randomUUID();
}

/** A copy of `bytes` as a plain Uint8Array (never a Buffer, so deep equality with callers' arrays holds). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

/** Byte-for-byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Maps a UTF-16 code unit at or above U+D800 so that code-unit order becomes code-point order. */
function fixupCodeUnit(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

/**
 * Compares keys in Unicode code point order (the same as UTF-8 byte order used by SQL engines). Plain
 * `<` compares UTF-16 code units, which puts astral characters (emoji) before U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = fixupCodeUnit(x);
      y = fixupCodeUnit(y);
    }
    return x - y;
  }
  return a.length - b.length;
}

/** The error every method of a closed backend throws. */
export function closedError(name: string): ConnectionProblemError {
  return new ConnectionProblemError(`${name} backend is closed: the process is shutting down or the backend was closed early`);
}
