/**
 * @module hooks
 * Data-loading hooks shared by the pages: one request with loading and error state, and a
 * server-paginated list that restarts from the first page whenever its filters change.
 */
import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from './lib/api.ts';
import { currentKey, firstPage, hasNext, hasPrev, nextPage, prevPage, withResponse, type PageState } from './lib/pagination.ts';
import type { ListResponse } from './lib/types.ts';

/** State of a single request. */
export interface AsyncState<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `key` changes (and on reload()); stale answers are dropped. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, key: string): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(ctl.signal).then(
      (data) => { if (!ctl.signal.aborted) setState({ data, loading: false }); },
      (err: unknown) => { if (!ctl.signal.aborted) setState({ error: errorMessage(err), loading: false }); },
    );
    return () => ctl.abort();
    // `load` is recreated every render on purpose: `key` says when its inputs changed.
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A page of a server-paginated list, with next/previous. */
export interface PagedList<T> extends AsyncState<ListResponse<T>> {
  items: T[];
  page: PageState;
  hasNext: boolean;
  hasPrev: boolean;
  next: () => void;
  prev: () => void;
}

/** Loads pages of a list endpoint; `filterKey` identifies the filters (a change restarts at page 1). */
export function usePagedList<T>(
  load: (startKey: string | undefined, signal: AbortSignal) => Promise<ListResponse<T>>,
  filterKey: string,
): PagedList<T> {
  const [page, setPage] = useState<PageState>(firstPage);
  const [seenKey, setSeenKey] = useState(filterKey);
  let effective = page;
  if (seenKey !== filterKey) {
    // Filters changed: back to the first page before loading anything (React's
    // "adjust state while rendering" pattern avoids loading the old page once more).
    effective = firstPage();
    setSeenKey(filterKey);
    setPage(effective);
  }
  const start = currentKey(effective);
  const state = useAsync(async (signal) => {
    const res = await load(start, signal);
    setPage((p) => (currentKey(p) === start ? withResponse(p, res.startKey) : p));
    return res;
  }, `${filterKey}\u0000${effective.index}\u0000${start ?? ''}`);
  return {
    ...state,
    items: state.data?.items ?? [],
    page: effective,
    hasNext: hasNext(effective),
    hasPrev: hasPrev(effective),
    next: () => setPage(nextPage),
    prev: () => setPage(prevPage),
  };
}
