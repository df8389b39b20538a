/**
 * @module auth/resources
 * The registry of per-kind handlers used by the generic resource RPCs.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { HandlerDeps, ResourceHandler } from './handler.ts';
import { userHandler } from './users.ts';
import { roleHandler } from './roles.ts';
import { tokenHandler } from './tokens.ts';
import { userTokenHandler } from './userTokens.ts';
import { nodeHandler, sessionTrackerHandler } from './presence.ts';
import { proxyHandler } from './proxies.ts';
import { databaseHandler, databaseServerHandler } from './databases.ts';
import { authPreferenceHandler, certAuthorityHandler, clusterNameHandler, recordingConfigHandler } from './clusterSettings.ts';

export type { HandlerDeps, ResourceHandler } from './handler.ts';

/** Kind aliases accepted from the command line ("users", "roles", "tokens", "cas"...). */
const ALIASES: Record<string, string> = {
  users: 'user', roles: 'role', tokens: 'token', cert_authorities: 'cert_authority', cas: 'cert_authority', ca: 'cert_authority',
  cap: 'cluster_auth_preference', auth_preference: 'cluster_auth_preference', user_tokens: 'user_token',
  recording_config: 'session_recording_config', nodes: 'node', servers: 'node', sessions: 'session_tracker',
  session_trackers: 'session_tracker', proxies: 'proxy',
  databases: 'db', database: 'db', dbs: 'db', db_servers: 'db_server', database_servers: 'db_server', database_server: 'db_server',
};

/** Normalizes a kind name or alias. */
export function canonicalKind(kind: string): string {
  const k = kind.toLowerCase().replaceAll('-', '_');
  return ALIASES[k] ?? k;
}

/** All handlers by kind. */
export class ResourceRegistry {
  private readonly handlers = new Map<string, ResourceHandler>();

  constructor(deps: HandlerDeps) {
    for (const h of [
      userHandler(deps), roleHandler(deps), tokenHandler(deps), userTokenHandler(deps), clusterNameHandler(deps),
      authPreferenceHandler(deps), recordingConfigHandler(deps), certAuthorityHandler(deps), nodeHandler(deps),
      sessionTrackerHandler(deps), proxyHandler(deps), databaseHandler(deps), databaseServerHandler(deps),
    ]) {
      this.handlers.set(h.kind, h);
    }
  }

  /** The handler of a kind; BadParameterError listing the supported kinds otherwise. */
  handler(kind: string): ResourceHandler {
    const h = this.handlers.get(canonicalKind(kind));
    if (!h) throw new BadParameterError(`unsupported resource kind "${kind}": supported kinds are ${[...this.handlers.keys()].join(', ')}`);
    return h;
  }
}
