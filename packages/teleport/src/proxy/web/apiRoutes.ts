/**
 * @module proxy/web/apiRoutes
 * The JSON endpoints of the web UI (docs/webapi.md): login/logout, /me, the per-cluster resource,
 * audit and recording lists, and user/role/token administration. Everything except login needs a
 * web session (cookie + bearer token) and runs as its user.
 */
import { WebAPIPaths, WebAPISitePaths } from '@teleport-ts/api/webapi';
import type { Handler, Router } from './router.ts';
import type { WebContext } from './handlers/context.ts';
import { createWebSessionHandler, deleteWebSessionHandler } from './handlers/webLogin.ts';
import { meHandler } from './handlers/me.ts';
import { activeSessionsHandler, databasesHandler, nodesHandler } from './handlers/siteResources.ts';
import { eventsHandler, recordingStreamHandler, recordingsHandler } from './handlers/audit.ts';
import { createUserHandler, deleteUserHandler, listUsersHandler, resetUserHandler, updateUserHandler } from './handlers/adminUsers.ts';
import { deleteRoleHandler, listRolesHandler, putRoleHandler } from './handlers/adminRoles.ts';
import { createTokenHandler, deleteTokenHandler, listTokensHandler } from './handlers/adminTokens.ts';

/** Adds the web UI's JSON routes; `limited` wraps the one that takes a password (the credential rate limit). */
export function addWebUIRoutes(router: Router, ctx: WebContext, limited: (h: Handler) => Handler): Router {
  const site = `${WebAPIPaths.sites}/:site`;
  return router
    .add('POST', WebAPIPaths.webSession, limited(createWebSessionHandler(ctx)))
    .add('DELETE', WebAPIPaths.webSession, deleteWebSessionHandler(ctx))
    .add('GET', WebAPIPaths.me, meHandler(ctx))
    .add('GET', `${site}/${WebAPISitePaths.nodes}`, nodesHandler(ctx))
    .add('GET', `${site}/${WebAPISitePaths.databases}`, databasesHandler(ctx))
    .add('GET', `${site}/${WebAPISitePaths.sessions}`, activeSessionsHandler(ctx))
    .add('GET', `${site}/${WebAPISitePaths.events}`, eventsHandler(ctx))
    .add('GET', `${site}/${WebAPISitePaths.recordings}`, recordingsHandler(ctx))
    .add('GET', `${site}/${WebAPISitePaths.recordings}/:sid/stream`, recordingStreamHandler(ctx))
    .add('GET', WebAPIPaths.users, listUsersHandler(ctx))
    .add('POST', WebAPIPaths.users, createUserHandler(ctx))
    .add('PUT', `${WebAPIPaths.users}/:name`, updateUserHandler(ctx))
    .add('DELETE', `${WebAPIPaths.users}/:name`, deleteUserHandler(ctx))
    .add('POST', `${WebAPIPaths.users}/:name/reset`, resetUserHandler(ctx))
    .add('GET', WebAPIPaths.roles, listRolesHandler(ctx))
    .add('PUT', `${WebAPIPaths.roles}/:name`, putRoleHandler(ctx))
    .add('DELETE', `${WebAPIPaths.roles}/:name`, deleteRoleHandler(ctx))
    .add('GET', WebAPIPaths.tokens, listTokensHandler(ctx))
    .add('POST', WebAPIPaths.tokens, createTokenHandler(ctx))
    .add('DELETE', `${WebAPIPaths.tokens}/:name`, deleteTokenHandler(ctx));
}
