/**
 * @module services/rbac/databaseAccess
 * Access to a database as one database user and database name, as upstream decides it:
 *
 * - **Deny first.** A deny block applies to a database when its `db_labels` match it (a deny block
 *   without `db_labels` applies to every database, so `deny: {db_users: [postgres]}` means "never
 *   as postgres"). It then denies the whole database when it lists neither `db_users` nor
 *   `db_names`, the database user when one of its `db_users` matches, and the database name when
 *   one of its `db_names` matches.
 * - **Allow** needs one role whose `db_labels` match AND whose `db_users` match the user AND whose
 *   `db_names` match the name. Entries are globs (`*`) or `^regex$`, after trait expansion
 *   (`{{internal.db_users}}`), which the AccessChecker did once for all roles.
 * - **MySQL** has no per-connection database in the sense PostgreSQL has (a client may `USE` any
 *   schema later), so an empty database name on MySQL needs no `db_names` match. A non-empty one is
 *   checked (upstream skips db_names for MySQL entirely; we only skip the empty name).
 *
 * Messages name the rule that decided, e.g. "access to db user 'postgres' denied by role dev".
 */
import type { Role, RoleConditions } from '@teleport-ts/api/types/role';
import { describeSelector, matchGlob, matchLabels } from './labels.ts';

/** A database as RBAC sees it. */
export interface DatabaseRBACTarget {
  name: string;
  labels?: Record<string, string>;
  /** "postgres" or "mysql"; decides whether an empty db name needs a db_names match. */
  protocol?: string;
}

const matchesAny = (patterns: readonly string[] | undefined, value: string): boolean =>
  (patterns ?? []).some((p) => matchGlob(p, value));

const nonEmpty = (l: readonly string[] | undefined): l is readonly string[] => l !== undefined && l.length > 0;

function denyApplies(deny: RoleConditions, labels: Record<string, string>): { applies: boolean; byLabels: boolean } {
  const sel = deny.db_labels;
  if (!sel || Object.keys(sel).length === 0) return { applies: true, byLabels: false };
  return { applies: matchLabels(sel, labels).matched, byLabels: true };
}

/** True when the database name needs a db_names match. */
function nameChecked(db: DatabaseRBACTarget, dbName: string): boolean {
  return !(db.protocol === 'mysql' && dbName === '');
}

/** Why a deny block refuses this connection, or undefined. */
function denyReason(roles: readonly Role[], db: DatabaseRBACTarget, dbUser: string, dbName: string): string | undefined {
  const labels = db.labels ?? {};
  for (const role of roles) {
    const deny = role.spec.deny ?? {};
    const { applies, byLabels } = denyApplies(deny, labels);
    if (!applies) continue;
    const name = role.metadata.name;
    if (!nonEmpty(deny.db_users) && !nonEmpty(deny.db_names)) {
      if (byLabels) return `access to db '${db.name}' denied by role ${name} (deny db_labels ${describeSelector(deny.db_labels ?? {})})`;
      continue;
    }
    if (matchesAny(deny.db_users, dbUser)) return `access to db user '${dbUser}' denied by role ${name}`;
    if (nameChecked(db, dbName) && matchesAny(deny.db_names, dbName)) return `access to database '${dbName}' denied by role ${name}`;
  }
  return undefined;
}

/** Why no allow block grants this connection, or undefined when one does. */
function allowReason(roles: readonly Role[], db: DatabaseRBACTarget, dbUser: string, dbName: string): string | undefined {
  const labels = db.labels ?? {};
  const matching = roles.filter((r) => matchLabels(r.spec.allow?.db_labels, labels).matched);
  if (matching.length === 0) {
    const names = roles.map((r) => r.metadata.name).join(', ') || 'none';
    return `access to db '${db.name}' denied: no role's db_labels match (roles: ${names})`;
  }
  const checkName = nameChecked(db, dbName);
  const userOK = matching.filter((r) => matchesAny(r.spec.allow?.db_users, dbUser));
  const nameOK = (r: Role): boolean => !checkName || matchesAny(r.spec.allow?.db_names, dbName);
  if (userOK.some(nameOK)) return undefined;
  const allowedList = (f: 'db_users' | 'db_names', from: readonly Role[]): string =>
    [...new Set(from.flatMap((r) => r.spec.allow?.[f] ?? []))].join(', ') || 'none';
  if (userOK.length === 0) {
    return `access to db user '${dbUser}' denied: no role allows db user '${dbUser}' on db '${db.name}' (allowed: ${allowedList('db_users', matching)})`;
  }
  if (!matching.some(nameOK)) {
    return `access to database '${dbName}' denied: no role allows db name '${dbName}' on db '${db.name}' (allowed: ${allowedList('db_names', matching)})`;
  }
  return `access to database '${dbName}' as db user '${dbUser}' denied: no single role allows both on db '${db.name}' ` +
    `(db name '${dbName}' is allowed with db users ${allowedList('db_users', matching.filter(nameOK))})`;
}

/** Why access is denied, or undefined when allowed. */
export function databaseDenialReason(roles: readonly Role[], db: DatabaseRBACTarget, dbUser: string, dbName: string): string | undefined {
  if (!dbUser) return `access to db '${db.name}' denied: no database user given; pass one (tsh db login --db-user=<user>)`;
  return denyReason(roles, db, dbUser, dbName) ?? allowReason(roles, db, dbUser, dbName);
}

/**
 * True when the database should be listed to the user: some role's allow db_labels match and no
 * deny block refuses the whole database.
 */
export function databaseVisible(roles: readonly Role[], db: DatabaseRBACTarget): boolean {
  const labels = db.labels ?? {};
  for (const role of roles) {
    const deny = role.spec.deny ?? {};
    const { applies, byLabels } = denyApplies(deny, labels);
    if (applies && byLabels && !nonEmpty(deny.db_users) && !nonEmpty(deny.db_names)) return false;
  }
  return roles.some((r) => matchLabels(r.spec.allow?.db_labels, labels).matched);
}
