/**
 * @module proxy/web/handlers/siteResources
 * GET /v1/webapi/sites/:site/{nodes,databases,sessions}. Each request makes one list call to auth
 * as the user (auth returns only what the user's roles allow, from its in-memory presence cache) and
 * then searches, filters and pages in the proxy (listing.ts). No per-item calls, so thousands of
 * nodes cost one RPC and a sort.
 */
import type { DatabaseServer } from '@teleport-ts/api/types/database';
import type { Server } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import type { WebActiveSession, WebDatabase, WebNode } from '@teleport-ts/api/webapi';
import { sendJSON } from '../http.ts';
import { matches, paginate, parseListQuery, toWebLabels } from '../listing.ts';
import type { Handler } from '../router.ts';
import { withSession } from './authenticated.ts';
import type { WebContext } from './context.ts';

/** A node's static labels plus the current results of its command labels. */
export function nodeLabels(n: Server): Record<string, string> {
  const out: Record<string, string> = { ...(n.metadata.labels ?? {}) };
  for (const [k, v] of Object.entries(n.spec.cmd_labels ?? {})) out[k] = v.result;
  return out;
}

/** GET /sites/:site/nodes?search=&query=&limit=&startKey=, sorted by hostname then id. */
export function nodesHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session, url) => {
    const q = parseListQuery(url);
    const nodes = await session.client.listResources<Server>('node');
    const labelsOf = new Map(nodes.map((n) => [n, nodeLabels(n)]));
    sendJSON(res, 200, paginate(nodes, {
      ...q,
      keyOf: (n) => [n.spec.hostname.toLowerCase(), n.metadata.name],
      keep: (n) => matches({ labels: labelsOf.get(n) ?? {}, fields: [n.spec.hostname, n.metadata.name, n.spec.addr] }, q),
      map: (n): WebNode => ({
        id: n.metadata.name,
        hostname: n.spec.hostname,
        addr: n.spec.addr,
        tunnel: n.spec.use_tunnel === true,
        sub_kind: n.sub_kind ?? 'teleport',
        labels: toWebLabels(labelsOf.get(n) ?? {}),
      }),
    }));
  });
}

/** GET /sites/:site/databases: one item per database, however many services announce it. */
export function databasesHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session, url) => {
    const q = parseListQuery(url);
    const byName = new Map<string, WebDatabase>();
    for (const s of await session.client.listResources<DatabaseServer>('db_server')) {
      const db = s.spec.database;
      if (!db || byName.has(db.metadata.name)) continue;
      byName.set(db.metadata.name, {
        name: db.metadata.name, protocol: db.spec.protocol, description: db.metadata.description ?? '',
        labels: toWebLabels(db.metadata.labels ?? {}),
      });
    }
    const labelMap = (d: WebDatabase) => Object.fromEntries(d.labels.map((l) => [l.name, l.value]));
    sendJSON(res, 200, paginate([...byName.values()], {
      ...q,
      keyOf: (d) => [d.name],
      keep: (d) => matches({ labels: labelMap(d), fields: [d.name, d.protocol, d.description] }, q),
      map: (d) => d,
    }));
  });
}

/** GET /sites/:site/sessions: live sessions the user may see (join), newest first. */
export function activeSessionsHandler(ctx: WebContext): Handler {
  return withSession(ctx, async (_req, res, _params, session, url) => {
    const q = parseListQuery(url);
    const trackers = await session.client.listResources<SessionTracker>('session_tracker');
    sendJSON(res, 200, paginate(trackers.filter((t) => t.spec.state !== 'terminated'), {
      ...q,
      // Newest first: invert the creation time so the string order is descending.
      keyOf: (t) => [String(8.64e15 - Date.parse(t.spec.created)).padStart(16, '0'), t.spec.session_id],
      keep: (t) => matches({ labels: {}, fields: [t.spec.hostname, t.spec.login, t.spec.session_id, ...t.spec.participants.map((p) => p.user)] }, q),
      map: (t): WebActiveSession => ({
        sid: t.spec.session_id,
        login: t.spec.login,
        hostname: t.spec.hostname,
        server_id: t.spec.target_id,
        created: t.spec.created,
        interactive: t.spec.interactive,
        participants: t.spec.participants.map((p) => ({ user: p.user, mode: p.mode })),
      }),
    }));
  });
}
