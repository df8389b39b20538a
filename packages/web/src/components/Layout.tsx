/**
 * @module components/Layout
 * The signed-in frame: a skip link, the header with the cluster and user, and the navigation.
 * Admin pages are listed only when /me's acl allows them (the API enforces access regardless).
 */
import { useState, type ReactNode } from 'react';
import { paths } from '../lib/routes.ts';
import type { Acl } from '../lib/types.ts';
import { Link, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';

interface NavItem {
  to: string;
  label: string;
  /** The acl flag that must be true, if any. */
  acl?: keyof Acl;
}

const NAV: NavItem[] = [
  { to: paths.servers, label: 'Servers' },
  { to: paths.databases, label: 'Databases' },
  { to: paths.sessions, label: 'Active sessions' },
  { to: paths.recordings, label: 'Recordings', acl: 'recordings' },
  { to: paths.audit, label: 'Audit log', acl: 'events' },
  { to: paths.users, label: 'Users', acl: 'users' },
  { to: paths.roles, label: 'Roles', acl: 'roles' },
  { to: paths.tokens, label: 'Join tokens', acl: 'tokens' },
];

/** The nav entries a user with `acl` may see. */
export function visibleNav(acl: Acl): NavItem[] {
  return NAV.filter((n) => !n.acl || acl[n.acl]);
}

/** Whether `pathname` belongs to the nav entry `to`. */
function isCurrent(pathname: string, to: string): boolean {
  const p = pathname.replace(/\/$/, '');
  return to === paths.servers ? p === paths.servers : p === to || p.startsWith(`${to}/`);
}

/** Header, navigation and the page. */
export function Layout({ children }: { children: ReactNode }) {
  const { me, site, logout } = useSession();
  const { pathname } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <button type="button" className="btn nav-toggle" aria-expanded={menuOpen} aria-controls="site-nav"
          onClick={() => setMenuOpen((o) => !o)}>
          <span aria-hidden="true">☰</span><span className="visually-hidden">Menu</span>
        </button>
        <span className="brand">Teleport</span>
        <span className="cluster" title="cluster">{site}</span>
        <span className="spacer" />
        <span className="user" title={me.roles.join(', ')}>{me.user}</span>
        <button type="button" className="btn btn-small" onClick={() => void logout()}>Log out</button>
      </header>
      <div className="body">
        <nav id="site-nav" className={`sidenav${menuOpen ? ' sidenav-open' : ''}`} aria-label="main">
          <ul>
            {visibleNav(me.acl).map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={isCurrent(pathname, n.to) ? 'page' : undefined}
                  onClick={() => setMenuOpen(false)}>{n.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        {children}
      </div>
    </div>
  );
}
