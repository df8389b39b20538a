/**
 * @module auth/resources/userTokens
 * Invite and reset tokens as resources: admins may list and delete them (create goes through
 * CreateUserToken, which also prepares the OTP secret and the URL).
 */
import type { HandlerDeps, ResourceHandler } from './handler.ts';

/** Handler for kind "user_token". */
export function userTokenHandler(deps: HandlerDeps): ResourceHandler {
  const t = deps.services.userTokens;
  return {
    kind: 'user_token',
    get: (name) => t.getUserToken(name),
    list: () => t.listUserTokens(),
    delete: (name) => t.deleteUserToken(name),
  };
}
