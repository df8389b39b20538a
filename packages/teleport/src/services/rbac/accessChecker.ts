/**
 * @module services/rbac/accessChecker
 * The RBAC decision point for one user: built from their roles and traits (templates are expanded
 * once, here), it answers "may this user log in as root on node1?", "may they create roles?", "how
 * long may their certificate live?". Denials throw AccessDeniedError with a message that says which
 * role decided and why, so a person can fix their roles.
 */
import { AccessDeniedError } from '@teleport-ts/api/errors';
import type { Role } from '@teleport-ts/api/types/role';
import type { Traits } from '@teleport-ts/api/types/user';
import { applyTraitsToRole } from './traits.ts';
import { decideRule, type RuleDecision } from './rules.ts';
import type { WhereContext } from './where.ts';
import {
  collectForResource, compileAnyAllowed, denialReason, listMatcher, type LabeledResource,
} from './resourceAccess.ts';
import * as options from './options.ts';
import { databaseDenialReason, databaseVisible, type DatabaseRBACTarget } from './databaseAccess.ts';

/** A server as RBAC sees it. */
export interface ServerTarget extends LabeledResource {
  /** Hostname shown in messages (defaults to name). */
  hostname?: string;
}

/** Kubernetes groups and users a user gets on one cluster. */
export interface KubeIdentities {
  groups: string[];
  users: string[];
}

/** Access decisions for a set of roles with the user's traits applied. */
export class AccessChecker {
  /** The roles with traits substituted. */
  readonly roles: readonly Role[];
  /** The user's traits. */
  readonly traits: Traits;
  private anyLogin: ((labels: Record<string, string>) => boolean) | undefined;

  constructor(roles: readonly Role[], traits: Traits = {}) {
    this.traits = traits;
    this.roles = roles.map((r) => applyTraitsToRole(r, traits));
  }

  /** Names of the roles, in order. */
  roleNames(): string[] {
    return this.roles.map((r) => r.metadata.name);
  }

  /** Throws AccessDeniedError unless `login` is allowed on `server`. */
  checkAccessToServer(login: string, server: ServerTarget): void {
    const reason = denialReason(this.roles, 'node_labels', server, [listMatcher('logins', 'login', login, false)],
      `${login}@${server.hostname ?? server.name}`);
    if (reason) throw new AccessDeniedError(reason);
  }

  /** True when `login` is allowed on `server`. */
  canAccessServer(login: string, server: ServerTarget): boolean {
    return denialReason(this.roles, 'node_labels', server, [listMatcher('logins', 'login', login, false)], '') === undefined;
  }

  /** Logins usable on a server with these labels; without labels, the same as allowedLogins(). */
  loginsFor(labels?: Record<string, string>): string[] {
    return labels ? collectForResource(this.roles, 'node_labels', labels, 'logins') : this.allowedLogins();
  }

  /**
   * True when some login is allowed on a server with these labels: `loginsFor(labels)` is not empty,
   * which is exactly when `canAccessServer` holds for one of them (the nodes `tsh ls` lists). The
   * roles are compiled on the first call, so checking every node of a list stays cheap.
   */
  hasLoginsFor(labels: Record<string, string>): boolean {
    this.anyLogin ??= compileAnyAllowed(this.roles, 'node_labels', 'logins');
    return this.anyLogin(labels);
  }

  /** Every allowed login (for certificate principals), minus logins any role denies. */
  allowedLogins(): string[] {
    const denied = new Set(this.roles.flatMap((r) => r.spec.deny?.logins ?? []));
    return [...new Set(this.roles.flatMap((r) => r.spec.allow?.logins ?? []))].filter((l) => !denied.has(l));
  }

  /** Decides a rule check; `ctx` feeds `where` clauses (absent: they see an empty context). */
  decideRule(kind: string, verb: string, ctx?: WhereContext): RuleDecision {
    return decideRule(this.roles, kind, verb, { ctx: ctx ?? {} });
  }

  /** Throws AccessDeniedError unless the roles' rules allow `verb` on `kind`. */
  checkAccessToRule(kind: string, verb: string, ctx?: WhereContext): void {
    const d = this.decideRule(kind, verb, ctx);
    if (d.allowed) return;
    if (d.role) throw new AccessDeniedError(`access denied: role '${d.role}' denies "${verb}" on "${kind}"`);
    const cond = d.unmetWhere.map((w) => `role '${w.role}' allows it only where ${w.where}`);
    throw new AccessDeniedError(
      `access denied: your roles (${this.roleNames().join(', ') || 'none'}) do not allow "${verb}" on "${kind}"` +
        (cond.length ? ` (${cond.join('; ')})` : '') +
        `; ask an administrator for a role with the rule {resources: [${kind}], verbs: [${verb}]}`,
    );
  }

  /** True when the roles' rules allow `verb` on `kind`. */
  canAccessRule(kind: string, verb: string, ctx?: WhereContext): boolean {
    return this.decideRule(kind, verb, ctx).allowed;
  }

  /** True when some items of `kind` may be allowed (conditional rules assumed to hold); filter each with a context. */
  guessAccessToRule(kind: string, verb: string): boolean {
    return decideRule(this.roles, kind, verb, 'guess').allowed;
  }

  /**
   * Throws AccessDeniedError unless the user may connect to `db` as database user `dbUser` to
   * database `dbName` (see databaseAccess.ts: deny first, then one role matching labels, user and
   * name; an empty name on MySQL needs no db_names match).
   */
  checkAccessToDatabase(db: DatabaseRBACTarget, dbUser: string, dbName: string): void {
    const reason = databaseDenialReason(this.roles, db, dbUser, dbName);
    if (reason) throw new AccessDeniedError(reason);
  }

  /** True when the database is listed to this user (some allow db_labels match, no whole-db deny). */
  databaseVisible(db: DatabaseRBACTarget): boolean {
    return databaseVisible(this.roles, db);
  }

  /** Database users allowed on a database with these labels. */
  databaseUsersFor(labels: Record<string, string>): string[] {
    return collectForResource(this.roles, 'db_labels', labels, 'db_users');
  }

  /** Database names allowed on a database with these labels. */
  databaseNamesFor(labels: Record<string, string>): string[] {
    return collectForResource(this.roles, 'db_labels', labels, 'db_names');
  }

  /** Throws unless the application may be used. */
  checkAccessToApp(app: LabeledResource): void {
    const reason = denialReason(this.roles, 'app_labels', app, [], `app "${app.name}"`);
    if (reason) throw new AccessDeniedError(reason);
  }

  /** Throws unless the Kubernetes cluster may be used. */
  checkAccessToKubeCluster(cluster: LabeledResource): void {
    const reason = denialReason(this.roles, 'kubernetes_labels', cluster, [], `kubernetes cluster "${cluster.name}"`);
    if (reason) throw new AccessDeniedError(reason);
  }

  /** Kubernetes groups and users to impersonate on a cluster with these labels. */
  kubeIdentitiesFor(labels: Record<string, string>): KubeIdentities {
    return {
      groups: collectForResource(this.roles, 'kubernetes_labels', labels, 'kubernetes_groups'),
      users: collectForResource(this.roles, 'kubernetes_labels', labels, 'kubernetes_users'),
    };
  }

  /** Throws unless `login` is allowed on the Windows desktop. */
  checkAccessToDesktop(desktop: LabeledResource, login: string): void {
    const reason = denialReason(this.roles, 'windows_desktop_labels', desktop,
      [listMatcher('windows_desktop_logins', 'login', login, false)], `${login}@${desktop.name}`);
    if (reason) throw new AccessDeniedError(reason);
  }

  /** Shortest max_session_ttl of the roles (30h default). */
  maxSessionTTLMs(): number {
    return options.maxSessionTTLMs(this.roles);
  }

  /** Caps a requested certificate/session TTL at the shortest max_session_ttl; <= 0 means "the maximum". */
  adjustSessionTTL(requestedMs: number): number {
    const max = this.maxSessionTTLMs();
    return requestedMs > 0 ? Math.min(requestedMs, max) : max;
  }

  /** Agent forwarding: allowed if any role allows it. */
  canForwardAgents(): boolean {
    return options.canForwardAgents(this.roles);
  }

  /** Port forwarding (either direction, or the one given): allowed if any role allows it. */
  canPortForward(direction?: options.ForwardDirection): boolean {
    return options.canPortForward(this.roles, direction);
  }

  /** File copy: allowed only if every role allows it (default on). */
  canCopyFiles(): boolean {
    return options.canCopyFiles(this.roles);
  }

  /** X11 forwarding: allowed if any role allows it. */
  canX11Forward(): boolean {
    return options.canX11Forward(this.roles);
  }

  /** Effective recording policy (strictest wins). */
  recordSession(): options.RecordingPolicy {
    return options.recordSession(this.roles);
  }

  /** Per-session MFA required by any role. */
  requireSessionMFA(): boolean {
    return options.requireSessionMFA(this.roles);
  }

  /** Shortest client idle timeout in ms, if any role sets one. */
  clientIdleTimeoutMs(): number | undefined {
    return options.clientIdleTimeoutMs(this.roles);
  }

  /** Lowest max_connections, if any role sets one. */
  maxConnections(): number | undefined {
    return options.maxConnections(this.roles);
  }

  /** Lowest max_sessions, if any role sets one. */
  maxSessions(): number | undefined {
    return options.maxSessions(this.roles);
  }

  /** Whether to disconnect at certificate expiry (undefined: follow cluster_auth_preference). */
  disconnectExpiredCert(): boolean | undefined {
    return options.disconnectExpiredCert(this.roles);
  }

  /** Locking mode: strict if any role asks for it. */
  lockingMode(): 'strict' | 'best_effort' {
    return options.lockingMode(this.roles);
  }
}
