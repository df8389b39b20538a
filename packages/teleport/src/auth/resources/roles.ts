/**
 * @module auth/resources/roles
 * The role kind, audited as role.created / role.deleted. A role still assigned to users cannot be
 * deleted, so nobody is left holding a dangling role by accident.
 */
import type { Role } from '@teleport-ts/api/types/role';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { HandlerDeps, ResourceHandler } from './handler.ts';
import { roleCreatedEvent, roleDeletedEvent } from '../../events/newEvent.ts';

/** Handler for kind "role". */
export function roleHandler(deps: HandlerDeps): ResourceHandler {
  const access = deps.services.access;
  const created = (name: string, actor: string) =>
    deps.audit.emit(roleCreatedEvent({ user: actor, name }));
  return {
    kind: 'role',
    get: (name) => access.getRole(name),
    list: () => access.listRoles(),
    async create(r, actor) {
      const out = await access.createRole(r as Role);
      await created(r.metadata.name, actor);
      return out;
    },
    async upsert(r, actor) {
      const out = await access.upsertRole(r as Role);
      await created(r.metadata.name, actor);
      return out;
    },
    async delete(name, actor) {
      const holders = (await deps.services.users.listUsers()).filter((u) => u.spec.roles.includes(name));
      if (holders.length > 0) {
        const list = holders.map((u) => u.metadata.name).slice(0, 5).join(', ');
        throw new BadParameterError(`role '${name}' is still assigned to users (${list}): remove it from them first with 'tctl users update'`);
      }
      await access.deleteRole(name);
      await deps.audit.emit(roleDeletedEvent({ user: actor, name }));
    },
  };
}
