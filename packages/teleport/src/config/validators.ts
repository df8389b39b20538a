/**
 * @module config/validators
 * Small typed validators for YAML configuration. Each one checks a plain value (as parsed by
 * `parseYAMLDocuments`) and returns it typed and normalised, or throws a BadParameterError that names
 * the file, line and field: "teleport.yaml:12: proxy_service.web_listen_addr: invalid address ...".
 * `obj()` rejects unknown keys and suggests the nearest known one, so a typo never passes silently.
 */
import { fieldError, type FieldPath, type SourceDocument } from '@teleport-ts/api/yamlSource';
import { parseDuration } from '@teleport-ts/api/duration';
import { errorMessage } from '@teleport-ts/api/errors';
import { normalizeAddr } from './netAddr.ts';

/** Validates one value found at `path` of `doc`. */
export type Validator<T> = (value: unknown, path: FieldPath, doc: SourceDocument) => T;

/** One validator per key of T, required or not (so schema and type cannot drift apart). */
export type FieldValidators<T> = { [K in keyof T]-?: Validator<T[K]> };

/** Describes a value's YAML type for error messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'boolean') return `the boolean ${String(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return `"${String(value)}"`;
}

function required(value: unknown, path: FieldPath, doc: SourceDocument, what: string): void {
  if (value === undefined || value === null) throw fieldError(doc, path, `is required: set it to ${what}`);
}

/** Makes a field optional: absent or empty (`key:`) gives undefined. */
export function opt<T>(inner: Validator<T>): Validator<T | undefined> {
  return (value, path, doc) => (value === undefined || value === null ? undefined : inner(value, path, doc));
}

/** A non-empty string; numbers are accepted and converted ("nodename: 1234"). */
export function str(what = 'a string'): Validator<string> {
  return (value, path, doc) => {
    required(value, path, doc, what);
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') throw fieldError(doc, path, `expected ${what}, got ${describeValue(value)}`);
    if (value.trim() === '') throw fieldError(doc, path, `must not be empty: set it to ${what}`);
    return value;
  };
}

/** One of a fixed set of strings (case-insensitive); `aliases` maps other spellings to allowed values. */
export function oneOf<T extends string>(allowed: readonly T[], aliases: Record<string, T> = {}): Validator<T> {
  const list = allowed.map((a) => `"${a}"`).join(', ');
  return (value, path, doc) => {
    required(value, path, doc, `one of ${list}`);
    const text = typeof value === 'string' || typeof value === 'number' ? String(value).toLowerCase() : undefined;
    if (text !== undefined) {
      const hit = allowed.find((a) => a.toLowerCase() === text) ?? aliases[text];
      if (hit) return hit;
    }
    throw fieldError(doc, path, `${describeValue(value)} is not valid: use one of ${list}`);
  };
}

const TRUE = new Set(['yes', 'yeah', 'y', 'true', 'on', '1']);
const FALSE = new Set(['no', 'nope', 'n', 'false', 'off', '0']);

/** A boolean written the way upstream accepts it: true/false, yes/no, on/off, 1/0. */
export function bool(): Validator<boolean> {
  return (value, path, doc) => {
    required(value, path, doc, 'yes or no');
    if (typeof value === 'boolean') return value;
    const text = typeof value === 'string' || typeof value === 'number' ? String(value).trim().toLowerCase() : '';
    if (TRUE.has(text)) return true;
    if (FALSE.has(text)) return false;
    throw fieldError(doc, path, `expected yes/no or true/false, got ${describeValue(value)}`);
  };
}

/** A "host:port" address; a missing port becomes `defaultPort`, a missing host `defaultHost` if given. */
export function addr(defaultPort: number, defaultHost?: string): Validator<string> {
  const text = str(`an address like host:${defaultPort}`);
  return (value, path, doc) => {
    const raw = text(value, path, doc);
    try {
      return normalizeAddr(raw, defaultHost === undefined ? { defaultPort } : { defaultPort, defaultHost });
    } catch (err) {
      throw fieldError(doc, path, errorMessage(err));
    }
  };
}

/** A Go-style duration ("30s", "1h30m"), returned in milliseconds. */
export function duration(): Validator<number> {
  const text = str('a duration like 30s or 1h');
  return (value, path, doc) => {
    const raw = text(value, path, doc);
    try {
      return parseDuration(raw);
    } catch (err) {
      throw fieldError(doc, path, errorMessage(err));
    }
  };
}

/** An absolute URL whose scheme is one of `schemes`. */
export function url(schemes: readonly string[]): Validator<string> {
  const text = str(`a URL like ${schemes[0] ?? 'http'}://host:port`);
  return (value, path, doc) => {
    const raw = text(value, path, doc);
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !schemes.includes(parsed.protocol.replace(/:$/, ''))) {
      throw fieldError(doc, path, `"${raw}" is not a valid URL: use ${schemes.map((s) => `${s}://`).join(' or ')}host:port`);
    }
    return raw;
  };
}

/** A list whose items all pass `item`. */
export function list<T>(item: Validator<T>, what = 'a list'): Validator<T[]> {
  return (value, path, doc) => {
    required(value, path, doc, what);
    if (!Array.isArray(value)) throw fieldError(doc, path, `expected ${what}, got ${describeValue(value)}`);
    return value.map((v, i) => item(v, [...path, i], doc));
  };
}

/** A single value or a list of them; always returns a list. */
export function oneOrList<T>(item: Validator<T>): Validator<T[]> {
  return (value, path, doc) => (Array.isArray(value) ? list(item)(value, path, doc) : [item(value, path, doc)]);
}

const LABEL_KEY = /^[A-Za-z0-9/._:*-]+$/;

/** A map of label names to string values. */
export function labels(): Validator<Record<string, string>> {
  return (value, path, doc) => {
    required(value, path, doc, 'a map of labels');
    if (typeof value !== 'object' || Array.isArray(value) || value === null) {
      throw fieldError(doc, path, `expected a map of labels (name: value), got ${describeValue(value)}`);
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!LABEL_KEY.test(k)) throw fieldError(doc, [...path, k], 'label names may contain only letters, digits and / . _ : * -');
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw fieldError(doc, [...path, k], `expected a label value (a string), got ${describeValue(v)}`);
      }
      out[k] = String(v);
    }
    return out;
  };
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The known key closest to `key`, if it is close enough to be a likely typo. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestDist) [best, bestDist] = [k, d];
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(best.length / 4)) ? best : undefined;
}

/** A map with a fixed set of keys; unknown keys are errors. Absent optional keys stay absent. */
export function obj<T>(fields: FieldValidators<T>, what = 'a map'): Validator<T> {
  const known = Object.keys(fields);
  return (value, path, doc) => {
    required(value, path, doc, what);
    if (typeof value !== 'object' || Array.isArray(value) || value === null) {
      throw fieldError(doc, path, `expected ${what}, got ${describeValue(value)}`);
    }
    const input = value as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (known.includes(key)) continue;
      const hint = suggestKey(key, known);
      const help = hint ? `did you mean "${hint}"?` : `valid keys here are ${known.join(', ')}`;
      throw fieldError(doc, [...path, key], `unknown key: ${help}`);
    }
    const out: Record<string, unknown> = {};
    for (const key of known) {
      const v = (fields as Record<string, Validator<unknown>>)[key]?.(input[key], [...path, key], doc);
      if (v !== undefined) out[key] = v;
    }
    return out as T;
  };
}

/** Adds an extra check after `inner`; `check` returns an error message or undefined. */
export function refine<T>(inner: Validator<T>, check: (value: T) => string | undefined): Validator<T> {
  return (value, path, doc) => {
    const out = inner(value, path, doc);
    const problem = check(out);
    if (problem) throw fieldError(doc, path, problem);
    return out;
  };
}
