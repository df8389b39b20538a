/**
 * @module pages/DatabasesPage
 * Databases the user may access, with search, label filters and server-side pagination, and the
 * tsh command to connect (database access goes through tsh's local proxy).
 */
import { api, sitePath } from '../lib/api.ts';
import type { DatabaseItem, ListResponse } from '../lib/types.ts';
import { usePagedList } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { CopyButton, ErrorBanner, LabelChips, Loading, Pager } from '../components/common.tsx';
import { ResourceFilters, useResourceFilter } from '../components/ResourceFilters.tsx';
import { PAGE_SIZE } from './ServersPage.tsx';

/** The databases list. */
export function DatabasesPage() {
  const { site } = useSession();
  const filter = useResourceFilter();
  const list = usePagedList<DatabaseItem>((startKey, signal) => api<ListResponse<DatabaseItem>>(sitePath(site, 'databases'), {
    query: { limit: PAGE_SIZE, startKey, search: filter.search, query: filter.query }, signal,
  }), `${site}|${filter.search}|${filter.query}`);

  return (
    <main id="main" className="page">
      <h1>Databases</h1>
      <ResourceFilters filter={filter} placeholder="Search by name, description or label" />
      <ErrorBanner error={list.error} />
      <div className="table-wrap">
        <table className="table stack">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Protocol</th><th scope="col">Description</th><th scope="col">Labels</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.items.map((d) => (
              <tr key={d.name}>
                <td data-label="Name"><strong>{d.name}</strong></td>
                <td data-label="Protocol">{d.protocol}</td>
                <td data-label="Description">{d.description}</td>
                <td data-label="Labels"><LabelChips labels={d.labels ?? []} active={filter.isActive} onToggle={filter.toggle} /></td>
                <td className="actions"><CopyButton text={`tsh db connect ${d.name}`} label="Copy tsh command" /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading show={list.loading} />
      {!list.loading && !list.error && list.items.length === 0 ? <p className="muted">No databases found.</p> : null}
      <Pager page={list.page} hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next}
        pageSize={PAGE_SIZE} totalCount={list.data?.totalCount} loading={list.loading} />
    </main>
  );
}
