/**
 * @module services/rbac/options
 * How the options of several roles combine: the shortest max_session_ttl wins, agent/port/X11
 * forwarding are allowed if any role allows them, file copy only if every role allows it, and the
 * strictest recording and locking modes win.
 */
import { DEFAULT_MAX_SESSION_TTL_MS, type Role, type RoleOptions } from '@teleport-ts/api/types/role';
import { parseDuration } from '@teleport-ts/api/duration';

const opts = (r: Role): RoleOptions => r.spec.options ?? {};

function durationMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

/** Shortest max_session_ttl of the roles (30h for roles that set none). */
export function maxSessionTTLMs(roles: readonly Role[]): number {
  if (roles.length === 0) return DEFAULT_MAX_SESSION_TTL_MS;
  return Math.min(...roles.map((r) => durationMs(opts(r).max_session_ttl) || DEFAULT_MAX_SESSION_TTL_MS));
}

/** Port forwarding directions. */
export type ForwardDirection = 'local' | 'remote';

function rolePortForward(o: RoleOptions, dir: ForwardDirection): boolean {
  // ssh_port_forwarding overrides the legacy port_forwarding flag per direction; both default to on.
  return o.ssh_port_forwarding?.[dir]?.enabled ?? o.port_forwarding ?? true;
}

/** True when any role allows port forwarding in `dir` (either direction when omitted). */
export function canPortForward(roles: readonly Role[], dir?: ForwardDirection): boolean {
  const dirs: ForwardDirection[] = dir ? [dir] : ['local', 'remote'];
  return roles.some((r) => dirs.some((d) => rolePortForward(opts(r), d)));
}

/** True when any role allows agent forwarding. */
export function canForwardAgents(roles: readonly Role[]): boolean {
  return roles.some((r) => opts(r).forward_agent === true);
}

/** True when any role allows X11 forwarding. */
export function canX11Forward(roles: readonly Role[]): boolean {
  return roles.some((r) => opts(r).permit_x11_forwarding === true);
}

/** True unless some role turns file copy (scp/sftp) off. */
export function canCopyFiles(roles: readonly Role[]): boolean {
  return roles.every((r) => opts(r).ssh_file_copy !== false);
}

/** Effective recording settings. */
export interface RecordingPolicy {
  /** "strict" ends the session if recording fails; "best_effort" continues. */
  ssh: 'strict' | 'best_effort';
  desktop: boolean;
}

/** Strictest SSH recording mode of the roles; desktop recording if any role wants it. */
export function recordSession(roles: readonly Role[]): RecordingPolicy {
  const strict = roles.some((r) => (opts(r).record_session?.ssh ?? opts(r).record_session?.default) === 'strict');
  const desktop = roles.length === 0 || roles.some((r) => opts(r).record_session?.desktop !== false);
  return { ssh: strict ? 'strict' : 'best_effort', desktop };
}

/** Smallest non-zero value among the roles, or undefined. */
function minPositive(values: Array<number | undefined>): number | undefined {
  const set = values.filter((v): v is number => typeof v === 'number' && v > 0);
  return set.length ? Math.min(...set) : undefined;
}

/** Shortest non-zero client_idle_timeout in ms, or undefined for none. */
export function clientIdleTimeoutMs(roles: readonly Role[]): number | undefined {
  return minPositive(roles.map((r) => durationMs(opts(r).client_idle_timeout)));
}

/** Lowest non-zero max_connections, or undefined for unlimited. */
export function maxConnections(roles: readonly Role[]): number | undefined {
  return minPositive(roles.map((r) => opts(r).max_connections));
}

/** Lowest non-zero max_sessions, or undefined for unlimited. */
export function maxSessions(roles: readonly Role[]): number | undefined {
  return minPositive(roles.map((r) => opts(r).max_sessions));
}

/** True when any role requires per-session MFA. */
export function requireSessionMFA(roles: readonly Role[]): boolean {
  return roles.some((r) => opts(r).require_session_mfa === true);
}

/** True when any role disconnects sessions at certificate expiry (undefined: use the cluster setting). */
export function disconnectExpiredCert(roles: readonly Role[]): boolean | undefined {
  if (roles.some((r) => opts(r).disconnect_expired_cert === true)) return true;
  return roles.some((r) => opts(r).disconnect_expired_cert === false) ? false : undefined;
}

/** "strict" if any role asks for strict locking, else "best_effort". */
export function lockingMode(roles: readonly Role[]): 'strict' | 'best_effort' {
  return roles.some((r) => opts(r).lock === 'strict') ? 'strict' : 'best_effort';
}
