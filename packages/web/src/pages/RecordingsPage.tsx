/**
 * @module pages/RecordingsPage
 * Session recordings (from session.end events) in a date range, newest first, each linking to
 * the player.
 */
import { api, sitePath } from '../lib/api.ts';
import { formatDate, formatDuration, fromLocalInput, toLocalInput } from '../lib/format.ts';
import { buildPath, paths } from '../lib/routes.ts';
import type { ListResponse, RecordingItem } from '../lib/types.ts';
import { usePagedList } from '../hooks.ts';
import { Link, useQueryState } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorBanner, Loading, Pager } from '../components/common.tsx';
import { DateRange, defaultRange } from '../components/DateRange.tsx';

const PAGE_SIZE = 50;

/** The recordings list. */
export function RecordingsPage() {
  const { site } = useSession();
  const [params, setParams] = useQueryState();
  const def = defaultRange();
  const from = params.get('from') ?? toLocalInput(def.from);
  const to = params.get('to') ?? toLocalInput(def.to);
  const list = usePagedList<RecordingItem>((startKey, signal) => api<ListResponse<RecordingItem>>(sitePath(site, 'recordings'), {
    query: { from: fromLocalInput(from), to: fromLocalInput(to), limit: PAGE_SIZE, startKey }, signal,
  }), `${site}|${from}|${to}`);
  return (
    <main id="main" className="page">
      <h1>Session recordings</h1>
      <DateRange from={from} to={to} onChange={(f, t) => setParams({ from: f, to: t })} />
      <ErrorBanner error={list.error} />
      <div className="table-wrap">
        <table className="table stack">
          <thead>
            <tr><th scope="col">Started</th><th scope="col">User</th><th scope="col">Server</th><th scope="col">Login</th><th scope="col">Duration</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.items.map((r) => (
              <tr key={r.sid}>
                <td data-label="Started">{formatDate(r.started)}</td>
                <td data-label="User">{r.user}</td>
                <td data-label="Server">{r.hostname}</td>
                <td data-label="Login">{r.login}</td>
                <td data-label="Duration">{formatDuration(r.duration_ms)}</td>
                <td className="actions">
                  {r.interactive === false ? <span className="muted">non-interactive</span>
                    : <Link className="btn btn-small btn-primary" to={buildPath(paths.player, { sid: r.sid })}
                      aria-label={`Play the session of ${r.user} on ${r.hostname} at ${formatDate(r.started)}`}>Play</Link>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading show={list.loading} />
      {!list.loading && !list.error && list.items.length === 0 ? <p className="muted">No recordings in this time range.</p> : null}
      <Pager page={list.page} hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next}
        pageSize={PAGE_SIZE} totalCount={list.data?.totalCount} loading={list.loading} />
    </main>
  );
}
