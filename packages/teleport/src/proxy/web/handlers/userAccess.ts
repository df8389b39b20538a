/**
 * @module proxy/web/handlers/userAccess
 * A user's current roles as an AccessChecker, read with the proxy's identity (system role Proxy may
 * read users and roles). The web API uses it only to shape answers (what the UI offers, which
 * recordings to list); auth still authorizes every action and every playback as the user.
 */
import { TrustError, isNotFound } from '@teleport-ts/api/errors';
import type { Role } from '@teleport-ts/api/types/role';
import type { User } from '@teleport-ts/api/types/user';
import { AccessChecker } from '../../../services/rbac/accessChecker.ts';
import type { WebContext } from './context.ts';

/** The user record and a checker over their current roles and traits. */
export async function userAccess(ctx: Pick<WebContext, 'authClient'>, name: string): Promise<{ user: User; checker: AccessChecker }> {
  const user = await ctx.authClient.getResource<User>('user', name).catch((err: unknown) => {
    // Deleted since the session began: the session is worthless (auth refuses its certificate too).
    throw isNotFound(err) ? new TrustError(`user '${name}' no longer exists: ask an administrator for an account`) : err;
  });
  const roles = await Promise.all(user.spec.roles.map(async (role) => {
    try {
      return await ctx.authClient.getResource<Role>('role', role);
    } catch (err) {
      if (isNotFound(err)) return undefined; // a role deleted since assignment grants nothing
      throw err;
    }
  }));
  return { user, checker: new AccessChecker(roles.filter((r): r is Role => r !== undefined), user.spec.traits ?? {}) };
}
