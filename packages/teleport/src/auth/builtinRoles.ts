/**
 * @module auth/builtinRoles
 * What each system role (the identity of a Teleport service, carried in host certificates) may do.
 * Users are authorized by their roles' rules instead (services/rbac). Keep these lists minimal:
 * a compromised node must not be able to read secrets or mint user certificates.
 */
import type { SystemRole } from '@teleport-ts/api/types/token';

/** Operations that are not plain resource verbs. */
export type SystemOperation =
  | 'authenticate_user' // password login on behalf of a user (proxy)
  | 'user_token_read' // read invite/reset tokens and their OTP secrets (proxy)
  | 'user_token_use' // complete an invite or reset (proxy)
  | 'emit_events'
  | 'host_certs' // issue host certificates for other services
  | 'node_host_certs' // SSH host certificates naming a registered node, for the proxy's forwarding server (proxy recording mode)
  | 'reissue_user_certs' // re-certify a connected user's identity for a proxy key (proxy recording mode, agentless nodes)
  | 'impersonate_users' // issue user certificates for any user (tctl auth sign)
  | 'upload_recordings' // ship session recordings (nodes, proxies in proxy recording mode)
  | 'db_certs' // client certificates from the db CA for upstream database connections (database service)
  | 'watch'; // stream changes of the kinds the role may read

/** Permissions of a system role: resource kinds it may read, and special operations. */
interface BuiltinPermissions {
  readKinds: ReadonlySet<string>;
  writeKinds: ReadonlySet<string>;
  operations: ReadonlySet<SystemOperation>;
}

// Every service may read proxies: agents learn where to dial their reverse tunnels from them.
const readCommon = ['cert_authority', 'cluster_name', 'cluster_auth_preference', 'session_recording_config', 'role', 'user', 'node', 'session_tracker', 'proxy'];

const permissions: Partial<Record<SystemRole, BuiltinPermissions | 'all'>> = {
  Admin: 'all',
  Auth: 'all',
  Proxy: {
    // db_server: the proxy routes database clients to the database services that serve them.
    readKinds: new Set([...readCommon, 'db_server', 'db']),
    // In proxy recording mode the proxy runs the session, so it tracks it. It announces itself
    // (kind proxy; only its own record, see AuthWithRoles).
    writeKinds: new Set(['node', 'session_tracker', 'proxy']),
    // node_host_certs and reissue_user_certs are narrowed further in AuthWithRoles (proxyCerts.ts):
    // only for registered nodes, and only with a live signature from the user's own client.
    operations: new Set<SystemOperation>([
      'authenticate_user', 'user_token_read', 'user_token_use', 'emit_events', 'upload_recordings', 'watch',
      'node_host_certs', 'reissue_user_certs',
    ]),
  },
  Node: {
    readKinds: new Set(readCommon),
    writeKinds: new Set(['node', 'session_tracker']),
    operations: new Set<SystemOperation>(['emit_events', 'upload_recordings', 'watch']),
  },
  // The database service reads dynamic databases, announces the ones it serves (only its own
  // db_server records, see AuthWithRoles) and gets short client certificates for its upstreams.
  Db: {
    readKinds: new Set([...readCommon, 'db']),
    writeKinds: new Set(['db_server']),
    operations: new Set<SystemOperation>(['emit_events', 'watch', 'db_certs']),
  },
  App: { readKinds: new Set(readCommon), writeKinds: new Set(), operations: new Set<SystemOperation>(['emit_events']) },
  Kube: { readKinds: new Set(readCommon), writeKinds: new Set(), operations: new Set<SystemOperation>(['emit_events']) },
};

/** True when `role` may perform `verb` on resources of `kind`. */
export function builtinAllowsResource(role: string, kind: string, verb: string): boolean {
  const p = permissions[role as SystemRole];
  if (!p) return false;
  if (p === 'all') return true;
  return verb === 'read' || verb === 'list' ? p.readKinds.has(kind) : p.writeKinds.has(kind);
}

/** True when `role` may perform a special operation. */
export function builtinAllowsOperation(role: string, op: SystemOperation): boolean {
  const p = permissions[role as SystemRole];
  if (!p) return false;
  return p === 'all' || p.operations.has(op);
}

/** True for system roles that may act as the cluster administrator (tctl on the auth host). */
export function isAdminRole(role: string): boolean {
  return permissions[role as SystemRole] === 'all';
}
