/**
 * @module auth/resources/tokens
 * Join (provision) tokens. The token value is the resource name, so it is a secret: it reaches only
 * callers allowed to read tokens.
 */
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import type { HandlerDeps, ResourceHandler } from './handler.ts';

/** Handler for kind "token". */
export function tokenHandler(deps: HandlerDeps): ResourceHandler {
  const p = deps.services.provisioning;
  const audit = (event: string, code: string, t: ProvisionToken | { metadata: { name: string } }, actor: string) =>
    deps.audit.emit({
      event,
      code,
      user: actor,
      // Log only a prefix of the secret, enough to tell tokens apart.
      name: `${t.metadata.name.slice(0, 6)}…`,
      ...('spec' in t && { roles: t.spec.roles, join_method: t.spec.join_method ?? 'token' }),
    });
  return {
    kind: 'token',
    get: (name) => p.getToken(name),
    list: () => p.listTokens(),
    async create(r, actor) {
      const out = await p.createToken(r as ProvisionToken);
      await audit('join_token.create', 'TJT00I', r as ProvisionToken, actor);
      return out;
    },
    async upsert(r, actor) {
      const out = await p.upsertToken(r as ProvisionToken);
      await audit('join_token.create', 'TJT00I', r as ProvisionToken, actor);
      return out;
    },
    async delete(name, actor) {
      await p.deleteToken(name);
      await audit('join_token.delete', 'TJT01I', { metadata: { name } }, actor);
    },
  };
}
