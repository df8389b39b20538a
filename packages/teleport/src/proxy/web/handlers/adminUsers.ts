/**
 * @module proxy/web/handlers/adminUsers
 * User administration, as the session's user (the editor preset may; auth checks each call):
 * GET /users, POST /users (create + invite link, the same two calls `tctl users add` makes),
 * PUT /users/:name (roles, optionally traits), DELETE /users/:name, POST /users/:name/reset.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Traits, User } from '@teleport-ts/api/types/user';
import type {
  CreateWebUserRequest, CreateWebUserResponse, ListResponse, ResetWebUserResponse, WebUser,
} from '@teleport-ts/api/webapi';
import { readJSON, sendJSON } from '../http.ts';
import type { Handler } from '../router.ts';
import { withSession } from './authenticated.ts';
import { clockOf, type WebContext } from './context.ts';
import type { UserToken } from '@teleport-ts/api/types/userToken';

/** The UI's view of a user. */
export function toWebUser(u: User, nowMs: number): WebUser {
  const until = u.spec.status?.is_locked ? u.spec.status.lock_expires : undefined;
  return {
    name: u.metadata.name, roles: u.spec.roles, traits: u.spec.traits ?? {},
    ...(until && Date.parse(until) > nowMs && { locked_until: until }),
  };
}

function stringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.trim() !== '')) {
    throw new BadParameterError(`"${name}" must be a list of non-empty strings`);
  }
  return (v as string[]).map((s) => s.trim());
}

function traitsFrom(v: unknown): Traits | undefined {
  if (v === undefined) return undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BadParameterError('"traits" must be an object of string lists, e.g. {"logins": ["root"]}');
  return Object.fromEntries(Object.entries(v).map(([k, list]) => [k, stringList(list, `traits.${k}`)]));
}

function expiryOf(t: UserToken): string {
  return t.metadata.expires ?? '';
}

/** GET /users. */
export function listUsersHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session) => {
    const now = clockOf(ctx).nowMs();
    const users = (await session.client.listResources<User>('user')).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    sendJSON(res, 200, { items: users.map((u) => toWebUser(u, now)), totalCount: users.length } satisfies ListResponse<WebUser>);
  });
}

/** POST /users: creates the user and an invite; the invite URL is what the admin shares. */
export function createUserHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (req, res, _params, session) => {
    const body = await readJSON<Partial<CreateWebUserRequest>>(req);
    if (typeof body.name !== 'string' || !body.name.trim()) throw new BadParameterError('missing "name"');
    const roles = stringList(body.roles, 'roles');
    if (roles.length === 0) throw new BadParameterError('"roles" must name at least one role, e.g. ["access"]');
    const traits = traitsFrom(body.traits);
    const user: User = {
      kind: 'user', version: 'v2', metadata: { name: body.name.trim() }, spec: { roles, ...(traits && { traits }) },
    };
    const created = await session.client.createResource(user);
    const token = await session.client.createUserToken({ user: created.metadata.name, kind: 'invite' });
    const out: CreateWebUserResponse = { user: toWebUser(created, clockOf(ctx).nowMs()), invite_url: token.spec.url, expires: expiryOf(token) };
    sendJSON(res, 200, out);
  });
}

/** PUT /users/:name {roles, traits?}: replaces the user's roles (and traits when given). */
export function updateUserHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (req, res, params, session) => {
    const body = await readJSON<{ roles?: unknown; traits?: unknown }>(req);
    const roles = stringList(body.roles, 'roles');
    if (roles.length === 0) throw new BadParameterError('"roles" must name at least one role');
    const traits = traitsFrom(body.traits);
    const user = await session.client.getResource<User>('user', params.name ?? '');
    user.spec.roles = roles;
    if (traits) user.spec.traits = traits;
    const updated = await session.client.upsertResource(user);
    sendJSON(res, 200, toWebUser(updated, clockOf(ctx).nowMs()));
  });
}

/** DELETE /users/:name. */
export function deleteUserHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, params, session) => {
    await session.client.deleteResource('user', params.name ?? '');
    sendJSON(res, 200, {});
  });
}

/** POST /users/:name/reset: a password reset link (removes the password and second factors when used). */
export function resetUserHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, params, session) => {
    const token = await session.client.createUserToken({ user: params.name ?? '', kind: 'reset' });
    sendJSON(res, 200, { reset_url: token.spec.url, expires: expiryOf(token) } satisfies ResetWebUserResponse);
  });
}
