/**
 * @module pages/AuditPage
 * The audit log: a time range and event types are sent to the server; the search text filters
 * the loaded page (any field of the event's JSON). Each event expands to its full JSON.
 */
import { Fragment, useId, useState } from 'react';
import { api, sitePath } from '../lib/api.ts';
import { formatDate, fromLocalInput, toLocalInput } from '../lib/format.ts';
import type { AuditEvent, ListResponse } from '../lib/types.ts';
import { usePagedList } from '../hooks.ts';
import { useQueryState } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorBanner, Loading, Pager } from '../components/common.tsx';
import { DateRange, defaultRange } from '../components/DateRange.tsx';

const PAGE_SIZE = 100;

/** Event types offered as suggestions in the type filter. */
export const COMMON_EVENT_TYPES = [
  'user.login', 'session.start', 'session.end', 'session.join', 'session.leave', 'exec', 'scp',
  'port', 'db.session.start', 'db.session.query', 'db.session.end', 'user.create', 'user.update',
  'user.delete', 'role.created', 'role.deleted', 'join_token.create', 'bot.join', 'instance.join',
  'auth', 'cert.create', 'lock.created',
];

/** One-line summary of an event, from its common fields. */
export function eventSummary(e: AuditEvent): string {
  const parts: string[] = [];
  for (const k of ['user', 'login', 'server_hostname', 'addr.remote', 'sid', 'name', 'error'] as const) {
    const v = e[k];
    if (typeof v === 'string' && v) parts.push(`${k}=${v}`);
  }
  return parts.join(' ');
}

/** The audit log page. */
export function AuditPage() {
  const { site } = useSession();
  const [params, setParams] = useQueryState();
  const def = defaultRange();
  const from = params.get('from') ?? toLocalInput(def.from);
  const to = params.get('to') ?? toLocalInput(def.to);
  const types = params.get('types') ?? '';
  const [text, setText] = useState('');
  const [open, setOpen] = useState<Set<number>>(new Set());
  const typesId = useId();
  const searchId = useId();
  const list = usePagedList<AuditEvent>((startKey, signal) => api<ListResponse<AuditEvent>>(sitePath(site, 'events/search'), {
    query: {
      from: fromLocalInput(from), to: fromLocalInput(to),
      types: types.split(',').map((t) => t.trim()).filter(Boolean).join(','), limit: PAGE_SIZE, startKey,
    },
    signal,
  }), `${site}|${from}|${to}|${types}`);
  const needle = text.trim().toLowerCase();
  const rows = list.items
    .map((e, i) => ({ e, i, json: JSON.stringify(e, null, 2) }))
    .filter((r) => !needle || r.json.toLowerCase().includes(needle));
  const toggle = (i: number) => setOpen((s) => {
    const n = new Set(s);
    if (n.has(i)) n.delete(i);
    else n.add(i);
    return n;
  });

  return (
    <main id="main" className="page">
      <h1>Audit log</h1>
      <div className="toolbar">
        <DateRange from={from} to={to} onChange={(f, t) => setParams({ from: f, to: t })} />
        <div className="field">
          <label htmlFor={typesId}>Event types</label>
          <input id={typesId} list={`${typesId}-list`} value={types} placeholder="all, or e.g. session.start,user.login"
            onChange={(e) => setParams({ types: e.target.value })} />
          <datalist id={`${typesId}-list`}>
            {COMMON_EVENT_TYPES.map((t) => <option key={t} value={t} />)}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor={searchId}>Search</label>
          <input id={searchId} type="search" value={text} placeholder="text in any field" onChange={(e) => setText(e.target.value)} />
        </div>
      </div>
      <ErrorBanner error={list.error} />
      {needle ? <p className="muted" role="status">{rows.length} of {list.items.length} events on this page match.</p> : null}
      <div className="table-wrap">
        <table className="table stack events-table">
          <thead>
            <tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Summary</th><th scope="col"><span className="visually-hidden">Details</span></th></tr>
          </thead>
          <tbody>
            {rows.map(({ e, i, json }) => (
              <Fragment key={`${list.page.index}-${i}-${e.uid ?? ''}`}>
                <tr>
                  <td data-label="Time">{formatDate(e.time)}</td>
                  <td data-label="Event" className="event-type">{e.event ?? '(unknown)'}</td>
                  <td data-label="Summary" className="event-summary">{eventSummary(e)}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-small" aria-expanded={open.has(i)} aria-controls={`ev-${i}`}
                      onClick={() => toggle(i)}>{open.has(i) ? 'Hide JSON' : 'Details'}</button>
                  </td>
                </tr>
                {open.has(i) ? (
                  <tr className="event-json-row">
                    <td colSpan={4}><pre id={`ev-${i}`} className="event-json" tabIndex={0} aria-label={`JSON of the ${e.event ?? ''} event`}>{json}</pre></td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      <Loading show={list.loading} />
      {!list.loading && !list.error && list.items.length === 0 ? <p className="muted">No events in this time range.</p> : null}
      <Pager page={list.page} hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next}
        pageSize={PAGE_SIZE} totalCount={list.data?.totalCount} loading={list.loading} />
    </main>
  );
}
