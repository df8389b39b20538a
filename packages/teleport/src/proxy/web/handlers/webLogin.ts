/**
 * @module proxy/web/handlers/webLogin
 * POST /v1/webapi/sessions/web logs in to the web UI; DELETE logs out. Login is relayed to auth
 * (`CreateWebSession`, with the proxy's identity on the user's behalf): auth checks the password and
 * OTP, applies lockout, audits, generates the session's keys and certificates and stores the
 * session. The proxy sets the session id as an HttpOnly `__Host-session` cookie and returns the
 * bearer token once in the body; it keeps neither.
 */
import { BadParameterError, isNotFound } from '@teleport-ts/api/errors';
import type { CreateWebSessionRequest, CreateWebSessionResponse } from '@teleport-ts/api/webapi';
import { readJSON, remoteAddr, sendJSON } from '../http.ts';
import type { Handler } from '../router.ts';
import { clearSessionCookieHeader, sessionCookieHeader, webSessionsOf } from '../webSession.ts';
import { withSession } from './authenticated.ts';
import { secondsUntil, type WebContext } from './context.ts';

/** POST /v1/webapi/sessions/web. */
export function createWebSessionHandler(ctx: WebContext): Handler {
  return async (req, res) => {
    const body = await readJSON<Partial<CreateWebSessionRequest>>(req);
    if (typeof body.user !== 'string' || !body.user) throw new BadParameterError('missing "user"');
    if (typeof body.pass !== 'string' || !body.pass) throw new BadParameterError('missing "pass" (the password)');
    const otp = body.second_factor_token;
    if (otp !== undefined && typeof otp !== 'string') throw new BadParameterError('"second_factor_token" must be a string of digits');
    const created = await ctx.authClient.createWebSession({
      user: body.user, password: body.pass, ...(otp && { otpCode: otp }), remoteAddr: remoteAddr(req),
    });
    const expiresIn = secondsUntil(ctx, created.expires);
    res.setHeader('set-cookie', sessionCookieHeader(created.sessionId, expiresIn));
    const response: CreateWebSessionResponse = {
      token: created.bearerToken, token_type: 'Bearer', expires_in: expiresIn, user: { name: created.user, roles: created.roles },
    };
    sendJSON(res, 200, response);
  };
}

/** DELETE /v1/webapi/sessions/web: ends the session (as its user) and clears the cookie. */
export function deleteWebSessionHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session) => {
    try {
      await session.client.deleteWebSession(session.sessionId);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    webSessionsOf(ctx).forget(session.sessionId);
    res.setHeader('set-cookie', clearSessionCookieHeader());
    sendJSON(res, 200, {});
  });
}
