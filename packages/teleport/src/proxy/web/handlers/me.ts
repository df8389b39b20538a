/**
 * @module proxy/web/handlers/me
 * GET /v1/webapi/me: the session's user, their roles and logins, and which parts of the UI to
 * show. The answer only shapes the UI; every action is still authorized by auth as the user. The
 * user's current roles are read with the proxy's identity (system role Proxy may read users and
 * roles), so a role change shows without logging in again.
 */
import type { MeResponse } from '@teleport-ts/api/webapi';
import { sendJSON } from '../http.ts';
import type { Handler } from '../router.ts';
import { withSession } from './authenticated.ts';
import { secondsUntil, type WebContext } from './context.ts';
import { userAccess } from './userAccess.ts';

/** Builds the handler. */
export function meHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session) => {
    const { user, checker } = await userAccess(ctx, session.user);
    // guess: a rule with a `where` clause may allow some items (e.g. the user's own sessions).
    const can = (kind: string, verb: string) => checker.guessAccessToRule(kind, verb);
    const body: MeResponse = {
      user: session.user,
      roles: user.spec.roles,
      logins: checker.allowedLogins().sort(),
      cluster: ctx.clusterName,
      expires_in: secondsUntil(ctx, session.expires),
      acl: {
        users: can('user', 'create') && can('user', 'update') && can('user_token', 'create'),
        roles: can('role', 'create') && can('role', 'update'),
        tokens: can('token', 'create') && can('token', 'list'),
        events: can('event', 'list') && can('event', 'read'),
        recordings: can('session', 'list') && can('session', 'read') && can('event', 'list'),
      },
    };
    sendJSON(res, 200, body);
  });
}
