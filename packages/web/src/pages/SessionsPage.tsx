/**
 * @module pages/SessionsPage
 * Active sessions in the cluster, with Join as observer (read-only) or as peer (can type).
 */
import { api, sitePath } from '../lib/api.ts';
import { formatDate } from '../lib/format.ts';
import { buildPath, paths } from '../lib/routes.ts';
import type { ActiveSession, ListResponse } from '../lib/types.ts';
import { useAsync } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorBanner, Loading } from '../components/common.tsx';

/** The active sessions list. */
export function SessionsPage() {
  const { site } = useSession();
  const list = useAsync((signal) => api<ListResponse<ActiveSession>>(sitePath(site, 'sessions'), { signal }), site);
  const items = list.data?.items ?? [];
  const joinPath = (s: ActiveSession, mode: 'observer' | 'peer') =>
    buildPath(paths.terminal, { node: s.server_id || s.hostname }, { login: s.login, sid: s.sid, mode });
  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Active sessions</h1>
        <button type="button" className="btn" onClick={list.reload} disabled={list.loading}>Refresh</button>
      </div>
      <ErrorBanner error={list.error} />
      <div className="table-wrap">
        <table className="table stack">
          <thead>
            <tr><th scope="col">Server</th><th scope="col">Login</th><th scope="col">Participants</th><th scope="col">Started</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.sid}>
                <td data-label="Server"><strong>{s.hostname}</strong></td>
                <td data-label="Login">{s.login}</td>
                <td data-label="Participants">{(s.participants ?? []).map((p) => `${p.user} (${p.mode})`).join(', ')}</td>
                <td data-label="Started">{formatDate(s.created)}</td>
                <td className="actions">
                  <Link className="btn btn-small" to={joinPath(s, 'observer')}>Join as observer</Link>{' '}
                  <Link className="btn btn-small btn-primary" to={joinPath(s, 'peer')}>Join as peer</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading show={list.loading} />
      {!list.loading && !list.error && items.length === 0 ? <p className="muted">No active sessions.</p> : null}
    </main>
  );
}
