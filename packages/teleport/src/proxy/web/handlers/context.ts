/**
 * @module proxy/web/handlers/context
 * What web API handlers share: the auth API client (the proxy's only way to reach auth), the
 * proxy's advertised addresses, the logger, and how web UI sessions are resolved.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { DBProxySettings } from '@teleport-ts/api/webapi';
import type { Logger } from '../../../utils/logger.ts';
import type { RateLimiter } from '../rateLimiter.ts';
import { systemClock, type Clock } from '@teleport-ts/api/clock';
import type { WebSessionResolver } from '../webSession.ts';

/** Shared state of the web handlers. */
export interface WebContext {
  authClient: AuthClient;
  clusterName: string;
  /** host:port users reach the web proxy on. */
  webPublicAddr: string;
  /** host:port of the SSH proxy listener as clients should dial it. */
  sshPublicAddr: string;
  /** host:port of the reverse tunnel listener. */
  tunnelPublicAddr: string;
  /** Database listener addresses advertised by ping (`proxy.db`); absent: none advertised. */
  dbSettings?: DBProxySettings;
  logger: Logger;
  /** Rate limit for credential endpoints; a default one (CREDENTIAL_RATE_LIMIT) when absent. */
  credentialLimiter?: RateLimiter;
  /** Clock for web session expiry and defaults of time ranges; the system clock when absent. */
  clock?: Clock;
  /** Resolves web UI sessions; one is made on first use when absent (see webSessionsOf). */
  webSessions?: WebSessionResolver;
}

/** The context's clock: `ctx.clock`, or the system clock when absent. */
export function clockOf(ctx: Pick<WebContext, 'clock'>): Clock {
  return ctx.clock ?? systemClock;
}

/** Whole seconds from now until `t`, never negative: the `expires_in` of login and /me. */
export function secondsUntil(ctx: Pick<WebContext, 'clock'>, t: Date): number {
  return Math.max(0, Math.floor((t.getTime() - clockOf(ctx).nowMs()) / 1000));
}
