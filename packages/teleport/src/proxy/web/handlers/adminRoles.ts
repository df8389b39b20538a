/**
 * @module proxy/web/handlers/adminRoles
 * Roles as YAML, as the session's user: GET /roles (each as `tctl get role/<name>` prints it),
 * PUT /roles/:name {yaml} (create or replace), DELETE /roles/:name. The YAML is parsed and validated
 * here with the same code as `tctl create` (types/parse.ts), so a mistake comes back as a 400 that
 * names its line and field for the editor to show in place; auth validates again when storing.
 */
import { BadParameterError, TeleportError } from '@teleport-ts/api/errors';
import { formatResourcesYAML } from '@teleport-ts/api/types/format';
import { parseResources } from '@teleport-ts/api/types/parse';
import type { Role } from '@teleport-ts/api/types/role';
import type { ListResponse, WebRole } from '@teleport-ts/api/webapi';
import { DocumentError, readJSON, sendJSON } from '../http.ts';
import type { Handler } from '../router.ts';
import { withSession } from './authenticated.ts';
import type { WebContext } from './context.ts';

/** The file name validation messages use; the UI shows the line after it. */
const DOC_NAME = 'role.yaml';

/** A role as YAML, without the backend revision. */
export function roleYAML(r: Role): string {
  const { revision: _revision, ...metadata } = r.metadata;
  return formatResourcesYAML([{ ...r, metadata }]);
}

/**
 * Parses role YAML; on failure a DocumentError with the line and field taken from the validator's
 * "role.yaml:<line>[:<col>]: [<field>: ]<message>".
 */
export function parseRoleYAML(text: string): Role {
  let resources;
  try {
    resources = parseResources(text, DOC_NAME);
  } catch (err) {
    if (!(err instanceof TeleportError)) throw err;
    throw locate(err.message);
  }
  if (resources.length !== 1) throw new BadParameterError(`expected exactly one role in the YAML, found ${resources.length}`);
  const r = resources[0] as Role;
  if (r.kind !== 'role') throw new DocumentError(`expected a resource of kind role, got "${r.kind}"`, 1, 'kind');
  return r;
}

function locate(message: string): DocumentError {
  const m = new RegExp(`^${DOC_NAME.replace('.', '\\.')}:(\\d+)(?::\\d+)?: (.*)$`, 's').exec(message);
  if (!m) return new DocumentError(message);
  const line = Number(m[1]);
  const rest = m[2] as string;
  // "spec.allow.logins[0]: expected ..." names a field; "invalid YAML: ..." does not.
  const f = /^([A-Za-z_][\w]*(?:\.[\w-]+|\[\d+\])*): (.*)$/s.exec(rest);
  return f && f[1] !== 'invalid YAML' ? new DocumentError(message, line, f[1]) : new DocumentError(message, line);
}

/** GET /roles. */
export function listRolesHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session) => {
    const roles = (await session.client.listResources<Role>('role')).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    sendJSON(res, 200, { items: roles.map((r) => ({ name: r.metadata.name, yaml: roleYAML(r) })), totalCount: roles.length } satisfies ListResponse<WebRole>);
  });
}

/** PUT /roles/:name {yaml}: creates or replaces the role; the YAML must name the same role. */
export function putRoleHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (req, res, params, session) => {
    const body = await readJSON<{ yaml?: unknown }>(req);
    if (typeof body.yaml !== 'string' || !body.yaml.trim()) throw new BadParameterError('missing "yaml": send the role as YAML text');
    const role = parseRoleYAML(body.yaml);
    if (role.metadata.name !== params.name) {
      throw new DocumentError(`metadata.name is "${role.metadata.name}" but the URL names role "${params.name}": rename it in one place`, undefined, 'metadata.name');
    }
    const saved = await session.client.upsertResource(role);
    sendJSON(res, 200, { name: saved.metadata.name, yaml: roleYAML(saved) } satisfies WebRole);
  });
}

/** DELETE /roles/:name. */
export function deleteRoleHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, params, session) => {
    await session.client.deleteResource('role', params.name ?? '');
    sendJSON(res, 200, {});
  });
}
