/**
 * @module types/validate/common
 * Field readers shared by every kind's validator: each checks one value's shape and, on failure,
 * throws a BadParameterError that names the file, line and field ("role.yaml:7: spec.allow.logins:
 * expected a list of strings, got a number"). Readers return fresh values, never the input objects,
 * so a validated resource shares nothing with the parsed document.
 */
import { fieldError, type FieldPath, type SourceDocument } from '../../yamlSource.ts';
import { parseDuration, formatDuration } from '../../duration.ts';
import { errorMessage } from '../../errors.ts';

/** Where errors are reported: the source document when the value came from a file. */
export interface Ctx {
  doc?: SourceDocument | undefined;
}

/** A plain object read from YAML/JSON. */
export type Obj = Record<string, unknown>;

/** Describes a value's type for messages: "a number", "a list", "null". */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a timestamp';
  switch (typeof v) {
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'a boolean';
    case 'object': return 'a map';
    default: return typeof v;
  }
}

/** Throws the located error for `path`. */
export function fail(ctx: Ctx, path: FieldPath, message: string): never {
  throw fieldError(ctx.doc, path, message);
}

/** True for a non-null, non-list object. */
export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Reads a map; `null`/absent is an error unless `optional`, which yields `{}`. */
export function readMap(ctx: Ctx, v: unknown, path: FieldPath, optional = false): Obj {
  if ((v === undefined || v === null) && optional) return {};
  if (!isObj(v)) fail(ctx, path, `expected a map, got ${typeName(v)}`);
  return v;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** Rejects keys not in `allowed`, suggesting the closest known name. */
export function checkKeys(ctx: Ctx, obj: Obj, path: FieldPath, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const best = allowed
      .map((k) => ({ k, d: editDistance(key, k) }))
      .sort((x, y) => x.d - y.d)[0];
    const close = best && best.d <= Math.max(2, Math.floor(key.length / 3));
    fail(ctx, [...path, key], close ? `unknown field; did you mean "${best.k}"?` : `unknown field; known fields: ${allowed.join(', ')}`);
  }
}

/** Reads a required non-empty string. */
export function readString(ctx: Ctx, v: unknown, path: FieldPath): string {
  if (v === undefined || v === null) fail(ctx, path, 'required field is missing');
  if (typeof v !== 'string') fail(ctx, path, `expected a string, got ${typeName(v)}`);
  if (v.trim() === '') fail(ctx, path, 'must not be empty');
  return v;
}

/** Reads an optional string (may be empty). */
export function optString(ctx: Ctx, v: unknown, path: FieldPath): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(ctx, path, `expected a string, got ${typeName(v)}`);
  return v;
}

/** Reads an optional boolean. */
export function optBool(ctx: Ctx, v: unknown, path: FieldPath): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(ctx, path, `expected true or false, got ${typeName(v)}`);
  return v;
}

/** Reads an optional non-negative integer. */
export function optCount(ctx: Ctx, v: unknown, path: FieldPath): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    fail(ctx, path, `expected a non-negative integer, got ${typeof v === 'number' ? v : typeName(v)}`);
  }
  return v;
}

/** Reads an optional string that must be one of `values`. */
export function optEnum<T extends string>(ctx: Ctx, v: unknown, path: FieldPath, values: readonly T[]): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    const got = typeof v === 'string' ? `"${v}"` : typeName(v);
    fail(ctx, path, `expected one of ${values.map((x) => `"${x}"`).join(', ')}, got ${got}`);
  }
  return v as T;
}

/** Reads an optional list of non-empty strings; `check` may reject individual items. */
export function optStringList(
  ctx: Ctx, v: unknown, path: FieldPath, check?: (item: string) => string | undefined,
): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(ctx, path, `expected a list of strings, got ${typeName(v)}`);
  return v.map((item: unknown, i) => {
    if (typeof item !== 'string') fail(ctx, [...path, i], `expected a string, got ${typeName(item)}`);
    if (item === '') fail(ctx, [...path, i], 'must not be empty');
    const problem = check?.(item);
    if (problem) fail(ctx, [...path, i], problem);
    return item;
  });
}

/** Reads an optional map of string to string (metadata labels, suggested labels). */
export function optStringMap(ctx: Ctx, v: unknown, path: FieldPath): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(m)) {
    if (k === '') fail(ctx, path, 'label names must not be empty');
    if (typeof val !== 'string') fail(ctx, [...path, k], `expected a string, got ${typeName(val)}`);
    out[k] = val;
  }
  return out;
}

/** Reads optional traits: a map of string to list of strings (null is an empty list). */
export function optTraits(ctx: Ctx, v: unknown, path: FieldPath): Record<string, string[]> | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(m)) {
    if (k === '') fail(ctx, path, 'trait names must not be empty');
    if (val === null) { out[k] = []; continue; }
    if (!Array.isArray(val)) fail(ctx, [...path, k], `expected a list of strings, got ${typeName(val)}`);
    out[k] = val.map((item: unknown, i) => {
      if (typeof item !== 'string') fail(ctx, [...path, k, i], `expected a string, got ${typeName(item)}`);
      return item;
    });
  }
  return out;
}

/** Reads an optional Go-style duration and returns it normalised ("30h0m0s") plus its length in ms. */
export function optDuration(ctx: Ctx, v: unknown, path: FieldPath): { text: string; ms: number } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(ctx, path, `expected a duration like "30m" or "12h", got ${typeName(v)}`);
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch (err) {
    fail(ctx, path, errorMessage(err));
  }
  return { text: formatDuration(ms), ms };
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Reads an optional RFC 3339 timestamp (a Date from a YAML 1.1 loader is accepted too). */
export function optTime(ctx: Ctx, v: unknown, path: FieldPath): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString();
  if (typeof v !== 'string' || !rfc3339.test(v) || Number.isNaN(Date.parse(v))) {
    const got = typeof v === 'string' ? `"${v}"` : typeName(v);
    fail(ctx, path, `expected an RFC 3339 time like "2026-01-02T15:04:05Z", got ${got}`);
  }
  return v;
}

/** Checks a resource name; returns a problem description or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name.length > 253) return 'must be at most 253 characters';
  if (name === '.' || name === '..') return `"${name}" is not a valid name`;
  if (name.includes('/')) return 'must not contain "/"';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
  if (/[\s\u0000-\u001f\u007f]/.test(name)) return 'must not contain whitespace or control characters';
  return undefined;
}

/** Copies `obj` without the keys whose value is undefined (keeps output free of `key: undefined`). */
export function compact<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}
