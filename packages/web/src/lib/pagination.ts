/**
 * @module pagination
 * Server-side pagination with opaque start keys. The server returns the key of the next page;
 * going back needs the keys of the pages already seen, kept here as a stack.
 */

/** Where the user is in a paginated list. */
export interface PageState {
  /** Start key of each page visited so far; the first page has none (undefined). */
  readonly keys: readonly (string | undefined)[];
  /** Index of the current page in `keys`. */
  readonly index: number;
  /** Start key of the next page, as the last response said; undefined at the end. */
  readonly nextKey: string | undefined;
}

/** The first page. */
export function firstPage(): PageState {
  return { keys: [undefined], index: 0, nextKey: undefined };
}

/** The start key to request for the current page. */
export function currentKey(s: PageState): string | undefined {
  return s.keys[s.index];
}

/** Records the next-page key from a response for the current page. */
export function withResponse(s: PageState, nextKey: string | undefined): PageState {
  return { ...s, nextKey: nextKey || undefined };
}

/** True when a next page exists. */
export function hasNext(s: PageState): boolean {
  return s.nextKey !== undefined;
}

/** True when a previous page exists. */
export function hasPrev(s: PageState): boolean {
  return s.index > 0;
}

/** Moves to the next page (no-op at the end). Forward history past the current page is dropped. */
export function nextPage(s: PageState): PageState {
  if (s.nextKey === undefined) return s;
  return { keys: [...s.keys.slice(0, s.index + 1), s.nextKey], index: s.index + 1, nextKey: undefined };
}

/** Moves to the previous page (no-op on the first). */
export function prevPage(s: PageState): PageState {
  if (s.index === 0) return s;
  return { keys: s.keys.slice(0, s.index), index: s.index - 1, nextKey: undefined };
}

/** "Page 2" or "Page 2 of 5" when the total is known. */
export function pageLabel(s: PageState, pageSize: number, totalCount?: number): string {
  const page = s.index + 1;
  if (totalCount === undefined || pageSize <= 0) return `Page ${page}`;
  return `Page ${page} of ${Math.max(1, Math.ceil(totalCount / pageSize))}`;
}
