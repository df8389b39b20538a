/**
 * @module auth/resources/tokens
 * Join (provision) tokens. The token value is the resource name, so it is a secret: it reaches only
 * callers allowed to read tokens, and audit events describe tokens by roles and expiry, never by value.
 */
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import { joinTokenCreateEvent, joinTokenDeleteEvent } from '../../events/newEvent.ts';
import type { HandlerDeps, ResourceHandler } from './handler.ts';

/** Handler for kind "token". */
export function tokenHandler(deps: HandlerDeps): ResourceHandler {
  const p = deps.services.provisioning;
  const created = (t: ProvisionToken, actor: string) =>
    deps.audit.emit(joinTokenCreateEvent({
      user: actor,
      roles: t.spec.roles,
      ...(t.spec.join_method && { joinMethod: t.spec.join_method }),
      ...(t.metadata.expires && { expires: new Date(t.metadata.expires) }),
    }));
  return {
    kind: 'token',
    get: (name) => p.getToken(name),
    list: () => p.listTokens(),
    async create(r, actor) {
      const out = await p.createToken(r as ProvisionToken);
      await created(r as ProvisionToken, actor);
      return out;
    },
    async upsert(r, actor) {
      const out = await p.upsertToken(r as ProvisionToken);
      await created(r as ProvisionToken, actor);
      return out;
    },
    async delete(name, actor) {
      const token = await p.getToken(name);
      await p.deleteToken(name);
      await deps.audit.emit(joinTokenDeleteEvent({ user: actor, roles: token.spec.roles }));
    },
  };
}
