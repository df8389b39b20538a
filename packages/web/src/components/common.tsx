/**
 * @module components/common
 * Small shared pieces: error and notice banners, a copy button, label chips, the pager and a
 * search box.
 */
import { useId, useState, type ReactNode } from 'react';
import { labelText, type Label } from '../lib/labels.ts';
import { pageLabel, type PageState } from '../lib/pagination.ts';

/** An error message from the server, announced to screen readers. */
export function ErrorBanner({ error }: { error: string | undefined | null }) {
  if (!error) return null;
  return <div className="banner banner-error" role="alert">{error}</div>;
}

/** An informational message. */
export function Notice({ children }: { children: ReactNode }) {
  return <div className="banner banner-info" role="status">{children}</div>;
}

/** Copies `text` to the clipboard and says so. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('copied');
    } catch {
      setDone('failed');
    }
    window.setTimeout(() => setDone(null), 2000);
  };
  return (
    <button type="button" className="btn btn-small" onClick={() => void copy()}>
      {done === 'copied' ? 'Copied' : done === 'failed' ? 'Select and copy manually' : label}
      <span className="visually-hidden" aria-live="polite">{done === 'copied' ? ' copied to the clipboard' : ''}</span>
    </button>
  );
}

/** A block of text to copy (a command, a URL, a secret). */
export function CopyField({ text, label }: { text: string; label: string }) {
  return (
    <div className="copy-field">
      <code aria-label={label}>{text}</code>
      <CopyButton text={text} />
    </div>
  );
}

/** Labels as chips; with `onToggle` each chip is a button that adds or removes it from the filter. */
export function LabelChips({ labels, active, onToggle }: {
  labels: readonly Label[];
  active?: (l: Label) => boolean;
  onToggle?: (l: Label) => void;
}) {
  if (labels.length === 0) return null;
  return (
    <ul className="chips" aria-label="labels">
      {labels.map((l) => (
        <li key={`${l.name}=${l.value}`}>
          {onToggle ? (
            <button type="button" className={`chip${active?.(l) ? ' chip-active' : ''}`} aria-pressed={active?.(l) ?? false}
              title={active?.(l) ? 'Remove this label from the filter' : 'Filter by this label'} onClick={() => onToggle(l)}>
              {labelText(l)}
            </button>
          ) : <span className="chip">{labelText(l)}</span>}
        </li>
      ))}
    </ul>
  );
}

/** Previous/next buttons for server-side pages. */
export function Pager({ page, hasPrev, hasNext, onPrev, onNext, pageSize, totalCount, loading }: {
  page: PageState; hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void;
  pageSize: number; totalCount?: number | undefined; loading?: boolean;
}) {
  return (
    <nav className="pager" aria-label="pagination">
      <button type="button" className="btn" onClick={onPrev} disabled={!hasPrev || loading}>Previous</button>
      <span aria-live="polite">{pageLabel(page, pageSize, totalCount)}{totalCount !== undefined ? ` (${totalCount} total)` : ''}</span>
      <button type="button" className="btn" onClick={onNext} disabled={!hasNext || loading}>Next</button>
    </nav>
  );
}

/** A labelled text input. */
export function TextField({ label, value, onChange, type = 'text', ...rest }: {
  label: string; value: string; onChange: (v: string) => void; type?: string;
  autoComplete?: string; required?: boolean; placeholder?: string; inputMode?: 'numeric' | 'text';
  pattern?: string; autoFocus?: boolean; name?: string; hint?: string;
}) {
  const id = useId();
  const { hint, ...inputProps } = rest;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={type} value={value} onChange={(e) => onChange(e.target.value)}
        aria-describedby={hint ? `${id}-hint` : undefined} {...inputProps} />
      {hint ? <small id={`${id}-hint`} className="hint">{hint}</small> : null}
    </div>
  );
}

/** "Loading..." while loading, for screen readers too. */
export function Loading({ show }: { show: boolean }) {
  return show ? <p className="muted" role="status">Loading…</p> : null;
}
