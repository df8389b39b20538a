/**
 * @module components/ConnectMenu
 * The "Connect" menu button of a server row: one item per login the user may use, plus a field
 * for another login. Keyboard: Enter/Space/ArrowDown open it, arrows move, Escape closes.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

/** A menu button listing logins; `onPick(login)` opens the terminal. */
export function ConnectMenu({ logins, onPick, label = 'Connect' }: {
  logins: readonly string[];
  onPick: (login: string) => void;
  label?: string;
}) {
  const [open, setOpen] = useState(false);
  const [other, setOther] = useState('');
  const menuId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLUListElement>(null);

  const items = () => Array.from(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
  const focusItem = (i: number) => {
    const list = items();
    if (list.length) list[(i + list.length) % list.length]?.focus();
  };

  useEffect(() => {
    if (!open) return;
    focusItem(0);
    const close = (e: MouseEvent) => {
      if (!menuRef.current?.parentElement?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  const closeAndFocus = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };
  const pick = (login: string) => {
    if (!login.trim()) return;
    setOpen(false);
    onPick(login.trim());
  };
  const onMenuKey = (e: KeyboardEvent) => {
    const list = items();
    const i = list.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      closeAndFocus();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      focusItem(i + 1);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      focusItem(i - 1);
    } else if (e.key === 'Home') {
      e.preventDefault();
      focusItem(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      focusItem(list.length - 1);
    } else if (e.key === 'Tab') {
      setOpen(false);
    }
  };

  return (
    <div className="menu-wrap">
      <button ref={buttonRef} type="button" className="btn btn-primary btn-small" aria-haspopup="menu"
        aria-expanded={open} aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => { if (e.key === 'ArrowDown') { e.preventDefault(); setOpen(true); } }}>
        {label} <span aria-hidden="true">▾</span>
      </button>
      {open ? (
        <ul ref={menuRef} id={menuId} className="menu" role="menu" aria-label="Log in as" onKeyDown={onMenuKey}>
          {logins.map((l) => (
            <li key={l} role="none">
              <button type="button" role="menuitem" tabIndex={-1} className="menu-item" onClick={() => pick(l)}>{l}</button>
            </li>
          ))}
          <li role="none" className="menu-other">
            <form onSubmit={(e) => { e.preventDefault(); pick(other); }}>
              <label className="visually-hidden" htmlFor={`${menuId}-other`}>Other login</label>
              <input id={`${menuId}-other`} role="menuitem" tabIndex={-1} placeholder="other login…" value={other}
                onChange={(e) => setOther(e.target.value)}
                onKeyDown={(e) => { if (e.key !== 'Escape' && e.key !== 'ArrowDown' && e.key !== 'ArrowUp') e.stopPropagation(); }} />
            </form>
          </li>
        </ul>
      ) : null}
    </div>
  );
}
