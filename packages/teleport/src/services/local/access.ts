/**
 * @module services/local/access
 * Role storage: one JSON record per role at /roles/<name>/params. RBAC evaluation lives elsewhere
 * (services/rbac); this module only reads and writes.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Role } from '@teleport-ts/api/types/role';
import { key } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import { checkName, createJSON, directChild, deleteKey, describe, getJSON, listJSON, putJSON, updateJSON } from './resourceStore.ts';

const ROLES = 'roles';
const PARAMS = 'params';

function roleKey(name: string): string {
  checkName('role', name);
  return key(ROLES, name, PARAMS);
}

function checkRole(role: Role): void {
  if (role.kind !== 'role') throw new BadParameterError(`expected a resource of kind role, got '${String(role.kind)}'`);
}

/** Stores roles. Writes return the role with its new `metadata.revision`. */
export class AccessService {
  constructor(private readonly backend: Backend) {}

  /** Reads one role; NotFoundError "role 'x' not found". */
  async getRole(name: string): Promise<Role> {
    return getJSON<Role>(this.backend, roleKey(name), describe('role', name));
  }

  /** Lists every role, sorted by name. */
  async listRoles(): Promise<Role[]> {
    const prefix = key(ROLES) + '/';
    return listJSON<Role>(this.backend, prefix, directChild(prefix, PARAMS));
  }

  /** Creates a role; AlreadyExistsError "role 'x' already exists". */
  async createRole(role: Role): Promise<Role> {
    checkRole(role);
    const name = role.metadata.name;
    return createJSON(this.backend, roleKey(name), role, describe('role', name));
  }

  /** Creates or overwrites a role. */
  async upsertRole(role: Role): Promise<Role> {
    checkRole(role);
    return putJSON(this.backend, roleKey(role.metadata.name), role);
  }

  /**
   * Overwrites an existing role. If `metadata.revision` is set and stale, throws CompareFailedError
   * "role 'x' was changed by someone else; re-read it and try again".
   */
  async updateRole(role: Role): Promise<Role> {
    checkRole(role);
    const name = role.metadata.name;
    return updateJSON(this.backend, roleKey(name), role, describe('role', name));
  }

  /** Deletes a role; NotFoundError "role 'x' not found". */
  async deleteRole(name: string): Promise<void> {
    return deleteKey(this.backend, roleKey(name), describe('role', name));
  }
}
