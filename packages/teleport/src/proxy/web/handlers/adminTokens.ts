/**
 * @module proxy/web/handlers/adminTokens
 * Join tokens, as the session's user (auth checks the `token` rules; the editor preset has them):
 * GET /tokens, POST /tokens {roles, ttl} -> the token and the exact `teleport start` command that
 * `tctl tokens add` prints, DELETE /tokens/:name. Token values are shown in full, as `tctl tokens ls`
 * shows them to whoever may read tokens.
 */
import { randomBytes } from 'node:crypto';
import { parseDuration } from '@teleport-ts/api/duration';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import type { CreateWebJoinTokenRequest, CreateWebJoinTokenResponse, ListResponse, WebJoinToken } from '@teleport-ts/api/webapi';
import { parseTokenTypes, teleportStartCommand } from '../../../tool/tctl/tokens.ts';
import { readJSON, sendJSON } from '../http.ts';
import { toWebLabels } from '../listing.ts';
import type { Handler } from '../router.ts';
import { withSession } from './authenticated.ts';
import { clockOf, type WebContext } from './context.ts';

/** Longest lifetime a token may be given here (a day; tctl allows more for scripted setups). */
const MAX_TOKEN_TTL_MS = 24 * 3600_000;

/** GET /tokens, soonest to expire first. */
export function listTokensHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session) => {
    const tokens = await session.client.listResources<ProvisionToken>('token');
    const expiry = (t: ProvisionToken) => (t.metadata.expires ? Date.parse(t.metadata.expires) : Infinity);
    tokens.sort((a, b) => expiry(a) - expiry(b) || a.metadata.name.localeCompare(b.metadata.name));
    const items = tokens.map((t): WebJoinToken => ({
      name: t.metadata.name, roles: t.spec.roles, ...(t.metadata.expires && { expires: t.metadata.expires }),
      labels: toWebLabels(t.spec.suggested_labels ?? {}),
    }));
    sendJSON(res, 200, { items, totalCount: items.length } satisfies ListResponse<WebJoinToken>);
  });
}

/** POST /tokens {roles?: ["node"], ttl?: "30m"}. */
export function createTokenHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (req, res, _params, session) => {
    const body = await readJSON<Partial<CreateWebJoinTokenRequest>>(req);
    const types = body.roles ?? ['node'];
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) {
      throw new BadParameterError('"roles" must be a list like ["node"] (node, proxy, db, app, kube)');
    }
    const roles = parseTokenTypes(types);
    const ttlMs = parseDuration(typeof body.ttl === 'string' && body.ttl ? body.ttl : '30m', 'ttl');
    if (ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) throw new BadParameterError('"ttl" must be more than 0 and at most 24h, e.g. "30m"');
    const name = randomBytes(16).toString('hex');
    const expires = new Date(clockOf(ctx).nowMs() + ttlMs).toISOString();
    const token: ProvisionToken = { kind: 'token', version: 'v2', metadata: { name, expires }, spec: { roles, join_method: 'token' } };
    await session.client.createResource(token);
    const ping = await session.client.ping();
    const out: CreateWebJoinTokenResponse = {
      token: name, roles, expires,
      command: teleportStartCommand({ token: name, roles, caPins: ping.caPins, addr: ping.proxyPublicAddr || ctx.webPublicAddr }),
    };
    sendJSON(res, 200, out);
  });
}

/** DELETE /tokens/:name. */
export function deleteTokenHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, params, session) => {
    await session.client.deleteResource('token', params.name ?? '');
    sendJSON(res, 200, {});
  });
}
