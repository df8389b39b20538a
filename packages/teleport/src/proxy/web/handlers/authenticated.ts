/**
 * @module proxy/web/handlers/authenticated
 * Wraps handlers that need a web UI session: resolves it (cookie + bearer token, see webSession.ts)
 * and, for `/sites/:site/...` paths, checks that the site is this cluster. Handlers then act only
 * through `session.client`, which auth authorizes as the user.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '@teleport-ts/api/errors';
import type { Handler } from '../router.ts';
import { webSessionsOf, type WebSession } from '../webSession.ts';
import type { WebContext } from './context.ts';

/** A handler that runs with the caller's web session. */
export type SessionHandler = (
  req: IncomingMessage, res: ServerResponse, params: Record<string, string>, session: WebSession, url: URL,
) => Promise<void>;

/** Requires a web session; `:site`, when the route has it, must name this cluster. */
export function withSession(ctx: WebContext, h: SessionHandler): Handler {
  return async (req, res, params) => {
    const session = await webSessionsOf(ctx).fromRequest(req);
    if (params.site !== undefined && params.site !== ctx.clusterName) {
      throw new NotFoundError(`cluster "${params.site}" not found: this proxy serves "${ctx.clusterName}"`);
    }
    await h(req, res, params, session, new URL(req.url ?? '/', 'https://proxy'));
  };
}
