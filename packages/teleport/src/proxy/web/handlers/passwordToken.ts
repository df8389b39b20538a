/**
 * @module proxy/web/handlers/passwordToken
 * Invite and reset completion:
 *   GET /v1/webapi/users/password/token/<token>  -> the invited user and, when OTP is required, the
 *                                                   secret and otpauth URI to enroll;
 *   PUT /v1/webapi/users/password/token          -> {token, password (base64), second_factor_token}.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { ChangePasswordWithTokenRequest, PasswordTokenResponse } from '@teleport-ts/api/webapi';
import { readJSON, remoteAddr, sendJSON } from '../http.ts';
import type { Handler } from '../router.ts';
import type { WebContext } from './context.ts';

/** GET handler. */
export function getPasswordTokenHandler(ctx: WebContext): Handler {
  return async (_req, res, params) => {
    const info = await ctx.authClient.getUserToken(params.token ?? '');
    const body: PasswordTokenResponse = {
      tokenId: info.token.metadata.name,
      user: info.token.spec.user,
      kind: info.token.sub_kind ?? 'invite',
      ...(info.token.metadata.expires && { expires: info.token.metadata.expires }),
      ...(info.otpSecret && { otp_secret: info.otpSecret }),
      ...(info.otpURI && { otp_uri: info.otpURI }),
    };
    sendJSON(res, 200, body);
  };
}

/** Decodes the base64 password field (upstream sends []byte, which JSON-encodes as base64). */
export function decodePassword(value: unknown): string {
  if (typeof value !== 'string' || !value) throw new BadParameterError('missing "password" (base64 of the UTF-8 password)');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new BadParameterError('"password" must be base64-encoded, e.g. btoa(password) in a browser');
  }
  return Buffer.from(value, 'base64').toString('utf8');
}

/** PUT handler. */
export function putPasswordTokenHandler(ctx: WebContext): Handler {
  return async (req, res) => {
    const body = await readJSON<ChangePasswordWithTokenRequest>(req);
    if (typeof body.token !== 'string' || !body.token) throw new BadParameterError('missing "token"');
    const user = await ctx.authClient.changePasswordWithToken({
      tokenId: body.token,
      password: decodePassword(body.password),
      ...(body.second_factor_token && { otpCode: String(body.second_factor_token) }),
      remoteAddr: remoteAddr(req),
    });
    sendJSON(res, 200, { user });
  };
}
