/**
 * @module App
 * The app shell: loads the cluster's ping answer, routes public pages (login, invite, reset),
 * and for everything else requires a web session (bearer token + /me) before rendering the
 * page inside the navigation layout.
 */
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, clearToken, errorMessage, getToken, request, setUnauthorizedHandler } from './lib/api.ts';
import { buildPath, paths, resolveRoute, type Params, type RouteName } from './lib/routes.ts';
import type { Me, Ping } from './lib/types.ts';
import { navigate, useLocation } from './router.tsx';
import { SessionContext, type Session } from './session.tsx';
import { Layout } from './components/Layout.tsx';
import { ErrorBanner, Loading } from './components/common.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { PasswordTokenPage } from './pages/PasswordTokenPage.tsx';
import { ServersPage } from './pages/ServersPage.tsx';
import { DatabasesPage } from './pages/DatabasesPage.tsx';
import { SessionsPage } from './pages/SessionsPage.tsx';
import { TerminalPage } from './pages/TerminalPage.tsx';
import { RecordingsPage } from './pages/RecordingsPage.tsx';
import { PlayerPage } from './pages/PlayerPage.tsx';
import { AuditPage } from './pages/AuditPage.tsx';
import { UsersPage } from './pages/UsersPage.tsx';
import { RolesPage } from './pages/RolesPage.tsx';
import { TokensPage } from './pages/TokensPage.tsx';

/** Sends the user to the login page, remembering where they were. */
function toLogin(reason?: string): void {
  const here = window.location.pathname + window.location.search;
  navigate(buildPath(paths.login, {}, { redirect: here.startsWith(paths.login) ? undefined : here, reason }), { replace: true });
}

/** Renders the signed-in page for a route. */
function page(name: RouteName, params: Params): ReactNode {
  switch (name) {
    case 'servers': return <ServersPage />;
    case 'databases': return <DatabasesPage />;
    case 'sessions': return <SessionsPage />;
    case 'terminal': return <TerminalPage node={params.node ?? ''} />;
    case 'recordings': return <RecordingsPage />;
    case 'player': return <PlayerPage sid={params.sid ?? ''} />;
    case 'audit': return <AuditPage />;
    case 'users': return <UsersPage />;
    case 'roles': return <RolesPage />;
    case 'tokens': return <TokensPage />;
    default: return <NotFound />;
  }
}

function NotFound() {
  return (
    <main id="main" className="page">
      <h1>Page not found</h1>
      <p><a href={paths.servers}>Go to the servers list</a></p>
    </main>
  );
}

/** The whole app. */
export function App() {
  const { pathname } = useLocation();
  const route = resolveRoute(pathname);
  const [ping, setPing] = useState<Ping | null>(null);
  const [pingError, setPingError] = useState<string>();
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<string>();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setMe(null);
      toLogin('expired');
    });
    api<Ping>('/ping', { auth: false }).then(setPing, (e: unknown) => setPingError(errorMessage(e)));
  }, []);

  const isPublic = route?.name === 'login' || route?.name === 'invite' || route?.name === 'reset';

  useEffect(() => {
    if (isPublic || me) return;
    if (!getToken()) {
      toLogin();
      return;
    }
    setMeError(undefined);
    api<Me>('/me').then(setMe, (e: unknown) => setMeError(errorMessage(e)));
  }, [isPublic, me]);

  const logout = useCallback(async () => {
    try {
      await request('/sessions/web', { method: 'DELETE', auth: true });
    } catch {
      /* the session may already be gone; log out locally anyway */
    }
    clearToken();
    setMe(null);
    navigate(paths.login, { replace: true });
  }, []);

  const onLoggedIn = useCallback((m: Me | null) => setMe(m), []);

  const session = useMemo<Session | null>(() => (ping && me ? {
    ping, me, site: ping.cluster_name, logout,
  } : null), [ping, me, logout]);

  if (route?.name === 'login') return <LoginPage ping={ping} pingError={pingError} onLoggedIn={onLoggedIn} />;
  if (route?.name === 'invite' || route?.name === 'reset') {
    return <PasswordTokenPage token={route.params.token ?? ''} kind={route.name} />;
  }
  if (!session) {
    return (
      <main id="main" className="page page-center">
        <ErrorBanner error={pingError ?? meError} />
        <Loading show={!pingError && !meError} />
      </main>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout>{route ? page(route.name, route.params) : <NotFound />}</Layout>
    </SessionContext.Provider>
  );
}
