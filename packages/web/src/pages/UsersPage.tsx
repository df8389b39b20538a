/**
 * @module pages/UsersPage
 * User administration: create a user (the answer is an invite link to hand over), change roles,
 * issue a reset link, delete.
 */
import { useState, type FormEvent } from 'react';
import { api, errorMessage } from '../lib/api.ts';
import { formatDate } from '../lib/format.ts';
import { joinList, splitList } from '../lib/lists.ts';
import type { ListResponse, UserItem } from '../lib/types.ts';
import { useAsync } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { CopyField, ErrorBanner, Loading, Notice, TextField } from '../components/common.tsx';
import { ConfirmButton } from '../components/ConfirmButton.tsx';

/** Logins of a user, from its traits when the list includes them. */
function userLogins(u: UserItem): string[] {
  const traits = u.traits as Record<string, unknown> | undefined;
  const logins = traits?.logins;
  return Array.isArray(logins) ? logins.filter((l): l is string => typeof l === 'string') : [];
}

/** The users page. */
export function UsersPage() {
  const { me } = useSession();
  const list = useAsync((signal) => api<ListResponse<UserItem>>('/users', { signal }), 'users');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState('access');
  const [logins, setLogins] = useState('');
  const [link, setLink] = useState<{ title: string; url: string }>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState<{ name: string; roles: string }>();

  const run = async (fn: () => Promise<void>) => {
    setError(undefined);
    try {
      await fn();
      list.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const loginList = splitList(logins);
      const res = await api<{ user: unknown; invite_url: string }>('/users', {
        method: 'POST',
        body: { name: name.trim(), roles: splitList(roles), ...(loginList.length ? { traits: { logins: loginList } } : {}) },
      });
      setLink({ title: `Invite link for ${name.trim()}`, url: res.invite_url });
      setName('');
      setLogins('');
    });
  };

  return (
    <main id="main" className="page">
      <h1>Users</h1>
      <ErrorBanner error={error ?? list.error} />
      {link ? (
        <Notice>
          <strong>{link.title}</strong> — send it to the user; it works once.
          <CopyField text={link.url} label={link.title} />
        </Notice>
      ) : null}
      <form className="card inline-form" onSubmit={create} aria-labelledby="new-user">
        <h2 id="new-user">New user</h2>
        <TextField label="Username" value={name} onChange={setName} required autoComplete="off" />
        <TextField label="Roles" value={roles} onChange={setRoles} required hint="Comma-separated, e.g. access, editor" />
        <TextField label="Logins" value={logins} onChange={setLogins} hint="Comma-separated OS logins, e.g. root, ubuntu" />
        <button type="submit" className="btn btn-primary">Create and get invite link</button>
      </form>
      <div className="table-wrap">
        <table className="table stack">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Roles</th><th scope="col">Logins</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {(list.data?.items ?? []).map((u) => (
              <tr key={u.name}>
                <td data-label="Name">
                  <strong>{u.name}</strong>
                  {typeof u.locked_until === 'string' ? <span className="badge">locked until {formatDate(u.locked_until)}</span> : null}
                </td>
                <td data-label="Roles">
                  {editing?.name === u.name ? (
                    <form className="row-form" onSubmit={(e) => {
                      e.preventDefault();
                      const roleList = splitList(editing.roles);
                      void run(async () => {
                        await api(`/users/${encodeURIComponent(u.name)}`, { method: 'PUT', body: { roles: roleList } });
                        setEditing(undefined);
                      });
                    }}>
                      <label className="visually-hidden" htmlFor={`roles-${u.name}`}>Roles of {u.name}</label>
                      <input id={`roles-${u.name}`} value={editing.roles} autoFocus
                        onChange={(e) => setEditing({ name: u.name, roles: e.target.value })} />
                      <button type="submit" className="btn btn-small btn-primary">Save</button>
                      <button type="button" className="btn btn-small" onClick={() => setEditing(undefined)}>Cancel</button>
                    </form>
                  ) : joinList(u.roles)}
                </td>
                <td data-label="Logins">{joinList(userLogins(u))}</td>
                <td className="actions">
                  <button type="button" className="btn btn-small" onClick={() => setEditing({ name: u.name, roles: joinList(u.roles) })}>
                    Edit roles
                  </button>
                  <button type="button" className="btn btn-small" onClick={() => void run(async () => {
                    const res = await api<{ reset_url: string }>(`/users/${encodeURIComponent(u.name)}/reset`, { method: 'POST', body: {} });
                    setLink({ title: `Reset link for ${u.name}`, url: res.reset_url });
                  })}>Reset password</button>
                  <ConfirmButton label="Delete" confirmLabel="Delete user" question={`Delete the user ${u.name}? They will no longer be able to log in.`}
                    disabled={u.name === me.user}
                    onConfirm={() => void run(async () => { await api(`/users/${encodeURIComponent(u.name)}`, { method: 'DELETE' }); })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading show={list.loading} />
    </main>
  );
}
