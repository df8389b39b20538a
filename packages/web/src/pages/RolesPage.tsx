/**
 * @module pages/RolesPage
 * Roles: a list and a YAML editor. The server validates on save; a 400 answer's message is shown
 * under the editor, and its line (when given) is marked in the line-number gutter and selected.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { api, ApiError, errorMessage } from '../lib/api.ts';
import type { ListResponse, RoleItem } from '../lib/types.ts';
import { lineCount, lineRange, roleTemplate } from '../lib/yamlLines.ts';
import { useAsync } from '../hooks.ts';
import { ErrorBanner, Loading, Notice, TextField } from '../components/common.tsx';
import { ConfirmButton } from '../components/ConfirmButton.tsx';

interface Editing {
  name: string;
  yaml: string;
  isNew: boolean;
}

/** The roles page. */
export function RolesPage() {
  const list = useAsync((signal) => api<ListResponse<RoleItem>>('/roles', { signal }), 'roles');
  const [editing, setEditing] = useState<Editing>();
  const [error, setError] = useState<ApiError | string>();
  const [saved, setSaved] = useState<string>();
  const [listError, setListError] = useState<string>();
  const textRef = useRef<HTMLTextAreaElement>(null);
  const gutterRef = useRef<HTMLOListElement>(null);
  const editorId = useId();
  const errLine = error instanceof ApiError ? error.line : undefined;
  const lines = useMemo(() => lineCount(editing?.yaml ?? ''), [editing?.yaml]);

  useEffect(() => {
    const ta = textRef.current;
    if (!ta || !editing || errLine === undefined) return;
    const [start, end] = lineRange(editing.yaml, errLine);
    ta.focus();
    ta.setSelectionRange(start, end);
    // Bring the line into view: a rough line height is enough to get it on screen.
    const lineHeight = ta.scrollHeight / Math.max(1, lineCount(editing.yaml));
    ta.scrollTop = Math.max(0, (errLine - 3) * lineHeight);
    // Runs when a new error arrives, not while typing: editing.yaml is read, not watched.
  }, [error, errLine]);

  const open = (r: RoleItem) => {
    setEditing({ name: r.name, yaml: r.yaml, isNew: false });
    setError(undefined);
    setSaved(undefined);
  };

  const save = async () => {
    if (!editing) return;
    const name = editing.name.trim();
    if (!name) {
      setError('Give the role a name.');
      return;
    }
    setError(undefined);
    setSaved(undefined);
    try {
      await api(`/roles/${encodeURIComponent(name)}`, { method: 'PUT', body: { yaml: editing.yaml } });
      setSaved(`Role ${name} saved.`);
      setEditing({ ...editing, name, isNew: false });
      list.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e : errorMessage(e));
    }
  };

  const remove = async (name: string) => {
    setListError(undefined);
    try {
      await api(`/roles/${encodeURIComponent(name)}`, { method: 'DELETE' });
      if (editing?.name === name) setEditing(undefined);
      list.reload();
    } catch (e) {
      setListError(errorMessage(e));
    }
  };

  const message = error instanceof ApiError
    ? `${errLine !== undefined ? `Line ${errLine}: ` : ''}${error.message}${error.field ? ` (field ${error.field})` : ''}`
    : error;

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Roles</h1>
        <button type="button" className="btn btn-primary" onClick={() => {
          setEditing({ name: '', yaml: roleTemplate(''), isNew: true });
          setError(undefined);
          setSaved(undefined);
        }}>New role</button>
      </div>
      <ErrorBanner error={listError ?? list.error} />
      <div className="split">
        <div className="table-wrap">
          <table className="table role-table">
            <thead><tr><th scope="col">Role</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {(list.data?.items ?? []).map((r) => (
                <tr key={r.name} className={editing?.name === r.name ? 'selected' : undefined}>
                  <td>{r.name}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-small" aria-label={`Edit ${r.name}`}
                      aria-current={editing?.name === r.name ? 'true' : undefined} onClick={() => open(r)}>Edit</button>
                    <ConfirmButton label="Delete" confirmLabel="Delete role" onConfirm={() => void remove(r.name)}
                      question={`Delete the role ${r.name}? Users who have it lose what it allows.`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {editing ? (
          <form className="editor" onSubmit={(e) => { e.preventDefault(); void save(); }} aria-label={`Edit role ${editing.name || '(new)'}`}>
            {editing.isNew ? (
              <TextField label="Role name" value={editing.name} required
                onChange={(v) => setEditing({ ...editing, name: v, yaml: editing.yaml.replace(/^( {2}name: ).*$/m, `$1${v || 'new-role'}`) })} />
            ) : <h2>{editing.name}</h2>}
            <label htmlFor={editorId}>Role YAML</label>
            <div className={`code-editor${errLine !== undefined ? ' has-error' : ''}`}>
              <ol ref={gutterRef} className="gutter" aria-hidden="true">
                {Array.from({ length: lines }, (_, i) => (
                  <li key={i} className={errLine === i + 1 ? 'line-error' : undefined}>{i + 1}</li>
                ))}
              </ol>
              <textarea id={editorId} ref={textRef} spellCheck={false} value={editing.yaml} wrap="off"
                aria-invalid={error ? true : undefined} aria-describedby={error ? `${editorId}-err` : undefined}
                onScroll={(e) => { if (gutterRef.current) gutterRef.current.scrollTop = e.currentTarget.scrollTop; }}
                onChange={(e) => setEditing({ ...editing, yaml: e.target.value })} />
            </div>
            {message ? <div id={`${editorId}-err`} className="banner banner-error" role="alert">{message}</div> : null}
            {saved ? <Notice>{saved}</Notice> : null}
            <div className="form-actions">
              <button type="submit" className="btn btn-primary">Save</button>
              <button type="button" className="btn" onClick={() => { setEditing(undefined); setError(undefined); }}>Close</button>
            </div>
          </form>
        ) : <p className="muted">Select a role to edit it, or create a new one.</p>}
      </div>
      <Loading show={list.loading} />
    </main>
  );
}
