/**
 * @module pages/TokensPage
 * Join tokens: create one for chosen roles and a TTL (the answer includes the exact command to
 * run on the new host), list them, revoke.
 */
import { useState, type FormEvent } from 'react';
import { api, errorMessage } from '../lib/api.ts';
import { formatDate } from '../lib/format.ts';
import { joinList } from '../lib/lists.ts';
import type { CreatedToken, ListResponse, TokenItem } from '../lib/types.ts';
import { useAsync } from '../hooks.ts';
import { CopyField, ErrorBanner, Loading, Notice, TextField } from '../components/common.tsx';
import { ConfirmButton } from '../components/ConfirmButton.tsx';

/** Roles a join token can grant, with what they are for. */
export const TOKEN_ROLES = [
  { role: 'node', label: 'Node (SSH server)' },
  { role: 'db', label: 'Database service' },
  { role: 'app', label: 'Application service' },
  { role: 'kube', label: 'Kubernetes service' },
  { role: 'proxy', label: 'Proxy' },
] as const;

/** The join tokens page. */
export function TokensPage() {
  const list = useAsync((signal) => api<ListResponse<TokenItem>>('/tokens', { signal }), 'tokens');
  const [roles, setRoles] = useState<Set<string>>(new Set(['node']));
  const [ttl, setTtl] = useState('30m');
  const [created, setCreated] = useState<CreatedToken>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [formOpen, setFormOpen] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (roles.size === 0) {
      setError('Choose at least one role for the token.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      setCreated(await api<CreatedToken>('/tokens', { method: 'POST', body: { roles: [...roles], ttl: ttl.trim() } }));
      setFormOpen(false);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (name: string) => {
    setError(undefined);
    try {
      await api(`/tokens/${encodeURIComponent(name)}`, { method: 'DELETE' });
      if (created?.token === name) setCreated(undefined);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const toggleRole = (role: string) => setRoles((s) => {
    const n = new Set(s);
    if (n.has(role)) n.delete(role);
    else n.add(role);
    return n;
  });

  return (
    <main id="main" className="page">
      <h1>Join tokens</h1>
      <ErrorBanner error={error ?? list.error} />
      <div className="page-actions">
        <button type="button" className="btn btn-primary" aria-expanded={formOpen} aria-controls="new-token-form"
          onClick={() => setFormOpen((o) => !o)}>New token</button>
      </div>
      {formOpen ? (
      <form id="new-token-form" className="card inline-form" onSubmit={(e) => void create(e)} aria-labelledby="new-token">
        <h2 id="new-token">New join token</h2>
        <fieldset className="checks">
          <legend>Roles</legend>
          {TOKEN_ROLES.map((r) => (
            <label key={r.role} className="check">
              <input type="checkbox" checked={roles.has(r.role)} onChange={() => toggleRole(r.role)} /> {r.label}
            </label>
          ))}
        </fieldset>
        <TextField label="Time to live" value={ttl} onChange={setTtl} required hint="A duration such as 30m, 1h or 24h." />
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Creating…' : 'Create'}</button>
        <button type="button" className="btn" onClick={() => setFormOpen(false)}>Cancel</button>
      </form>
      ) : null}
      {created ? (
        <Notice>
          <p>Token created{created.expires ? `; it expires ${formatDate(created.expires)}` : ''}. Run this on the new host:</p>
          <CopyField text={created.command} label="Command to join the cluster" />
          <div className="form-actions">
            <button type="button" className="btn btn-small" onClick={() => setCreated(undefined)}>Done</button>
          </div>
        </Notice>
      ) : null}
      <div className="table-wrap">
        <table className="table stack">
          <thead>
            <tr><th scope="col">Token</th><th scope="col">Roles</th><th scope="col">Expires</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {(list.data?.items ?? []).map((t) => (
              <tr key={t.name}>
                <td data-label="Token"><code className="token-name">{t.name}</code></td>
                <td data-label="Roles">{joinList(t.roles)}</td>
                <td data-label="Expires">{t.expires ? formatDate(t.expires) : 'never'}</td>
                <td className="actions">
                  <ConfirmButton label="Revoke" confirmLabel="Revoke token" onConfirm={() => void revoke(t.name)}
                    question="Revoke this join token? Hosts that already joined keep working; new ones cannot use it." />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading show={list.loading} />
      {!list.loading && !list.error && (list.data?.items ?? []).length === 0 ? <p className="muted">No join tokens.</p> : null}
    </main>
  );
}
