/**
 * @module proxy/web/listing
 * Search, label filters and pagination of the web API's list endpoints, done in the proxy over the
 * list auth returned for the user (already filtered by their roles). Pure functions: one sort, one
 * filter pass and a binary search per request, so thousands of nodes stay well under a millisecond
 * per page.
 *
 * Paging is by sort key, not offset: `startKey` names the first item of the next page (an opaque
 * base64url string), so a node that appears or disappears between two pages shifts nothing.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { ListResponse, WebLabel } from '@teleport-ts/api/webapi';

/** Page size when `limit` is absent. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page a client may ask for. */
export const MAX_PAGE_SIZE = 1000;

/** The list parameters of a request. */
export interface ListQuery {
  limit: number;
  startKey?: string;
  /** Words that must all appear (case-insensitive) in one of an item's searchable fields. */
  search: string[];
  /** Labels that must all match exactly (`query=k=v,k2=v2`). */
  labels: Record<string, string>;
}

/** Reads the page size `limit`: DEFAULT_PAGE_SIZE when absent, 1 to MAX_PAGE_SIZE otherwise. */
export function parseLimit(params: URLSearchParams): number {
  const limitText = params.get('limit');
  const limit = limitText === null || limitText === '' ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new BadParameterError(`"limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}, got "${limitText}"`);
  }
  return limit;
}

/** Reads `limit`, `startKey`, `search` and `query` from a request URL. */
export function parseListQuery(url: URL): ListQuery {
  const limit = parseLimit(url.searchParams);
  const startKey = url.searchParams.get('startKey') || undefined;
  const search = (url.searchParams.get('search') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return { limit, ...(startKey && { startKey }), search, labels: parseLabelQuery(url.searchParams.get('query') ?? '') };
}

/** Parses a label selector `k=v,k2=v2` (spaces around names and values are ignored). */
export function parseLabelQuery(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (!pair.trim()) continue;
    const i = pair.indexOf('=');
    if (i <= 0) throw new BadParameterError(`invalid label selector "${pair.trim()}" in "query": use key=value,key2=value2`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

/** Labels as the UI lists them, sorted by name. */
export function toWebLabels(labels: Record<string, string>): WebLabel[] {
  return Object.keys(labels).sort().map((name) => ({ name, value: labels[name] as string }));
}

/** An item as the filters see it. */
export interface Filterable {
  labels: Record<string, string>;
  /** Text fields the search words are looked for in (labels are searched too, as "name", "value" and "name=value"). */
  fields: string[];
}

/** True when every label of the selector matches and every search word appears somewhere. */
export function matches(item: Filterable, q: Pick<ListQuery, 'search' | 'labels'>): boolean {
  for (const [k, v] of Object.entries(q.labels)) if (item.labels[k] !== v) return false;
  if (q.search.length === 0) return true;
  const haystack = [...item.fields, ...Object.entries(item.labels).map(([k, v]) => `${k}=${v}`)].map((s) => s.toLowerCase());
  return q.search.every((word) => haystack.some((h) => h.includes(word)));
}

/** Encodes a sort key (a tuple of strings) as an opaque page token. */
export function encodeKey(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

function decodeKey(token: string): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) return parts as string[];
  } catch {
    // fall through
  }
  throw new BadParameterError('"startKey" is not a key this API returned: start again without it');
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Sorts `items` by `keyOf`, keeps those `keep` accepts, and returns the page that starts at
 * `startKey` with the key of the next page and the number of matching items.
 */
export function paginate<T, R>(
  items: readonly T[],
  opts: { keyOf: (item: T) => string[]; keep: (item: T) => boolean; map: (item: T) => R; limit: number; startKey?: string },
): ListResponse<R> {
  const keyed = items.filter(opts.keep).map((item) => ({ item, key: opts.keyOf(item) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  let from = 0;
  if (opts.startKey) {
    const start = decodeKey(opts.startKey);
    let lo = 0;
    let hi = keyed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys((keyed[mid] as { key: string[] }).key, start) < 0) lo = mid + 1;
      else hi = mid;
    }
    from = lo;
  }
  const page = keyed.slice(from, from + opts.limit);
  const next = keyed[from + opts.limit];
  return { items: page.map((k) => opts.map(k.item)), ...(next && { startKey: encodeKey(next.key) }), totalCount: keyed.length };
}
