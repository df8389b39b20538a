/**
 * @module auth/resources/users
 * The user kind: stored by UsersService, audited as user.create / user.update / user.delete.
 * Password hashes and MFA secrets are never part of the resource.
 */
import type { User } from '@teleport-ts/api/types/user';
import type { Resource } from '@teleport-ts/api/types/resource';
import { BadParameterError, NotFoundError, isNotFound } from '@teleport-ts/api/errors';
import type { HandlerDeps, ResourceHandler } from './handler.ts';
import { userCreateEvent, userDeleteEvent, userUpdateEvent } from '../../events/newEvent.ts';

/** Checks that every role a user is given exists, so typos fail loudly. */
async function checkRolesExist(deps: HandlerDeps, user: User): Promise<void> {
  for (const role of user.spec.roles) {
    try {
      await deps.services.access.getRole(role);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`role '${role}' does not exist: create it first or fix --roles (tctl get roles lists them)`);
      throw err;
    }
  }
  if (user.spec.roles.length === 0) throw new BadParameterError(`user '${user.metadata.name}' needs at least one role`);
}

/** Handler for kind "user". */
export function userHandler(deps: HandlerDeps): ResourceHandler {
  const users = deps.services.users;
  return {
    kind: 'user',
    get: (name) => users.getUser(name),
    list: () => users.listUsers(),
    async create(r: Resource, actor) {
      const user = r as User;
      await checkRolesExist(deps, user);
      user.spec.created_by ??= { time: deps.clock.now().toISOString(), user: { name: actor } };
      const out = await users.createUser(user);
      await deps.audit.emit(userCreateEvent({ user: actor, name: user.metadata.name, roles: user.spec.roles }));
      return out;
    },
    async upsert(r: Resource, actor) {
      const user = r as User;
      await checkRolesExist(deps, user);
      const out = await users.upsertUser(user);
      await deps.audit.emit(userUpdateEvent({ user: actor, name: user.metadata.name, roles: user.spec.roles }));
      return out;
    },
    async delete(name, actor) {
      await users.deleteUser(name);
      await deps.audit.emit(userDeleteEvent({ user: actor, name }));
    },
  };
}
