/**
 * @module pages/ServersPage
 * The cluster home: servers the user may access, with search, label filters and server-side
 * pagination, and a Connect menu per server that opens the web terminal.
 */
import { api, sitePath } from '../lib/api.ts';
import { buildPath, paths } from '../lib/routes.ts';
import type { ListResponse, NodeItem } from '../lib/types.ts';
import { usePagedList } from '../hooks.ts';
import { navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ConnectMenu } from '../components/ConnectMenu.tsx';
import { ErrorBanner, LabelChips, Loading, Pager } from '../components/common.tsx';
import { ResourceFilters, useResourceFilter } from '../components/ResourceFilters.tsx';

/** Rows per page. */
export const PAGE_SIZE = 25;

/** The servers list. */
export function ServersPage() {
  const { site, me } = useSession();
  const filter = useResourceFilter();
  const list = usePagedList<NodeItem>((startKey, signal) => api<ListResponse<NodeItem>>(sitePath(site, 'nodes'), {
    query: { limit: PAGE_SIZE, startKey, search: filter.search, query: filter.query }, signal,
  }), `${site}|${filter.search}|${filter.query}`);

  const connect = (node: NodeItem, login: string) =>
    navigate(buildPath(paths.terminal, { node: node.id || node.hostname }, { login }));

  return (
    <main id="main" className="page">
      <h1>Servers</h1>
      <ResourceFilters filter={filter} placeholder="Search by hostname, address or label" />
      <ErrorBanner error={list.error} />
      <div className="table-wrap">
        <table className="table stack">
          <thead>
            <tr><th scope="col">Hostname</th><th scope="col">Address</th><th scope="col">Labels</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.items.map((n) => (
              <tr key={n.id || n.hostname}>
                <td data-label="Hostname"><strong>{n.hostname}</strong></td>
                <td data-label="Address">{n.tunnel ? <span title="Connected through a reverse tunnel">⟵ Tunnel</span> : n.addr}</td>
                <td data-label="Labels">
                  <LabelChips labels={n.labels ?? []} active={filter.isActive} onToggle={filter.toggle} />
                </td>
                <td className="actions">
                  <ConnectMenu logins={me.logins} onPick={(login) => connect(n, login)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading show={list.loading} />
      {!list.loading && !list.error && list.items.length === 0 ? (
        <p className="muted">No servers{filter.search || filter.query ? ' match these filters' : ' you have access to'}.</p>
      ) : null}
      <Pager page={list.page} hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next}
        pageSize={PAGE_SIZE} totalCount={list.data?.totalCount} loading={list.loading} />
    </main>
  );
}
