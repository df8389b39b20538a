/**
 * @module session
 * Who is logged in, to which cluster: the ping answer (cluster name, second-factor mode) and
 * /me (user, logins, what the UI may show), shared with every page through a context.
 */
import { createContext, useContext } from 'react';
import type { Me, Ping } from './lib/types.ts';

/** What every authenticated page can read. */
export interface Session {
  ping: Ping;
  me: Me;
  /** The cluster name used in /sites/:site paths. */
  site: string;
  logout: () => Promise<void>;
}

/** The signed-in session; pages below the authenticated layout always have one. */
export const SessionContext = createContext<Session | null>(null);

/** The current session. Only call below the authenticated layout. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside of a signed-in page');
  return s;
}
