/**
 * @module auth/resources/presence
 * Nodes and live sessions. Services write them (a node its own record and its own sessions); users
 * see only the nodes they could log in to and the sessions they could join. Node reads go through
 * the presence cache when auth has one; writes always go to the backend.
 */
import type { Server } from '@teleport-ts/api/types/server';
import { serverLabels } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { AccessChecker } from '../../services/rbac/accessChecker.ts';
import type { HandlerDeps, ResourceHandler } from './handler.ts';

/**
 * True when a user with `checker` may log in to `node` with at least one login (some login of
 * `loginsFor` passes `canAccessServer`; see AccessChecker.hasLoginsFor, compiled once per checker).
 */
export function nodeVisibleTo(node: Server, checker: AccessChecker): boolean {
  return checker.hasLoginsFor(serverLabels(node));
}

/** Handler for kind "node". */
export function nodeHandler(deps: HandlerDeps): ResourceHandler {
  const p = deps.services.presence;
  const read = deps.presenceReader ?? p;
  return {
    kind: 'node',
    get: (name) => read.getNode(name),
    list: () => read.listNodes(),
    upsert: (r) => p.upsertNode(r as Server),
    create: (r) => p.upsertNode(r as Server),
    delete: (name) => p.deleteNode(name),
    visibleTo: (r: Resource, user) => nodeVisibleTo(r as Server, user.checker),
  };
}

/** Handler for kind "session_tracker". */
export function sessionTrackerHandler(deps: HandlerDeps): ResourceHandler {
  const p = deps.services.presence;
  const nodes = deps.presenceReader ?? p;
  return {
    kind: 'session_tracker',
    get: (name) => p.getSessionTracker(name),
    list: () => p.listSessionTrackers(),
    upsert: (r) => p.upsertSessionTracker(r as SessionTracker),
    create: (r) => p.upsertSessionTracker(r as SessionTracker),
    delete: (name) => p.deleteSessionTracker(name),
    // Visible to its participants and to anyone who could open the same login on that node.
    async visibleTo(r: Resource, user) {
      const t = r as SessionTracker;
      if (t.spec.host_user === user.name || t.spec.participants.some((x) => x.user === user.name)) return true;
      try {
        const node = await nodes.getNode(t.spec.target_id);
        const labels = serverLabels(node);
        return user.checker.canAccessServer(t.spec.login, { name: node.metadata.name, hostname: node.spec.hostname, labels });
      } catch {
        return false;
      }
    },
  };
}
