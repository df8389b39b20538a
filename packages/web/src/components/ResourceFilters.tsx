/**
 * @module components/ResourceFilters
 * The search box and active label filter of a resource list. Both live in the URL
 * (`?search=&query=`), so a filtered view can be bookmarked and the back button restores it.
 */
import { useEffect, useId, useState } from 'react';
import { hasLabel, parseLabelQuery, toggleLabel, type Label } from '../lib/labels.ts';
import { useQueryState } from '../router.tsx';
import { LabelChips } from './common.tsx';

/** Filter state of a resource list. */
export interface ResourceFilter {
  search: string;
  query: string;
  toggle: (l: Label) => void;
  isActive: (l: Label) => boolean;
}

/** Reads and updates the filters in the URL. */
export function useResourceFilter(): ResourceFilter {
  const [params, setParams] = useQueryState();
  const search = params.get('search') ?? '';
  const query = params.get('query') ?? '';
  return {
    search,
    query,
    toggle: (l) => setParams({ query: toggleLabel(query, l) }),
    isActive: (l) => hasLabel(query, l),
  };
}

/** Search box (debounced) and the active label chips, with a way to clear them. */
export function ResourceFilters({ filter, placeholder }: { filter: ResourceFilter; placeholder: string }) {
  const [, setParams] = useQueryState();
  const [text, setText] = useState(filter.search);
  const id = useId();
  useEffect(() => setText(filter.search), [filter.search]);
  useEffect(() => {
    if (text === filter.search) return;
    const t = window.setTimeout(() => setParams({ search: text }), 300);
    return () => window.clearTimeout(t);
  }, [text, filter.search, setParams]);
  const active = parseLabelQuery(filter.query);
  return (
    <div className="filters">
      <form role="search" onSubmit={(e) => { e.preventDefault(); setParams({ search: text }); }}>
        <label htmlFor={id} className="visually-hidden">Search</label>
        <input id={id} type="search" className="search" placeholder={placeholder} value={text}
          onChange={(e) => setText(e.target.value)} />
      </form>
      {active.length ? (
        <div className="active-filters">
          <span className="muted">Filtered by:</span>
          <LabelChips labels={active} active={() => true} onToggle={filter.toggle} />
          <button type="button" className="btn btn-link" onClick={() => setParams({ query: undefined })}>Clear labels</button>
        </div>
      ) : <p className="muted hint">Select a label to filter by it.</p>}
    </div>
  );
}
