/**
 * @module services/rbac/resourceAccess
 * The shared algorithm behind access to labelled resources (nodes, databases, apps, Kubernetes
 * clusters, desktops). Deny is evaluated first and is greedy: a role denies when its deny labels
 * match the resource, or when any of its deny matchers (login, database user, ...) matches. Allow
 * needs one role whose labels match and whose every matcher matches.
 */
import type { Labels, Role, RoleConditions } from '@teleport-ts/api/types/role';
import { compileSelector, describeSelector, matchLabels } from './labels.ts';

/** Condition fields that hold label selectors. */
export type SelectorField = 'node_labels' | 'db_labels' | 'app_labels' | 'kubernetes_labels' | 'windows_desktop_labels';

/** A labelled resource. */
export interface LabeledResource {
  name: string;
  labels?: Record<string, string>;
}

/** One extra requirement besides labels, e.g. "the login is allowed". */
export interface Matcher {
  /** What is being asked for, e.g. `login "root"`. */
  what: string;
  /** True when the conditions allow (or, for deny, deny) it. */
  matches(c: RoleConditions): boolean;
  /** Why an allow block does not grant it, e.g. "allows logins [alice]". */
  explain(c: RoleConditions): string;
}

/** Matcher for a value that must appear in a list field; `wildcard` lets `*` match any value. */
export function listMatcher(field: keyof RoleConditions, label: string, value: string, wildcard: boolean): Matcher {
  const list = (c: RoleConditions): string[] => (c[field] as string[] | undefined) ?? [];
  return {
    what: `${label} "${value}"`,
    matches: (c) => list(c).includes(value) || (wildcard && list(c).includes('*')),
    explain: (c) => (list(c).length ? `allows ${field} [${list(c).join(', ')}]` : `allows no ${field}`),
  };
}

/** Returns why access is denied, or undefined when it is allowed. */
export function denialReason(
  roles: readonly Role[], field: SelectorField, resource: LabeledResource, matchers: readonly Matcher[], subject: string,
): string | undefined {
  const labels = resource.labels ?? {};
  for (const role of roles) {
    const deny = role.spec.deny ?? {};
    const sel: Labels | undefined = deny[field];
    if (sel && matchLabels(sel, labels).matched) {
      return `access denied to ${subject}: denied by role '${role.metadata.name}' (${field} ${describeSelector(sel)})`;
    }
    const hit = matchers.find((m) => m.matches(deny));
    if (hit) return `access denied to ${subject}: ${hit.what} is denied by role '${role.metadata.name}'`;
  }
  if (roles.length === 0) return `access denied to ${subject}: you have no roles`;
  const reasons: string[] = [];
  for (const role of roles) {
    const allow = role.spec.allow ?? {};
    const name = `role '${role.metadata.name}'`;
    const sel = allow[field];
    if (!sel || Object.keys(sel).length === 0) {
      reasons.push(`${name} has no ${field}`);
      continue;
    }
    const lm = matchLabels(sel, labels);
    if (!lm.matched) {
      reasons.push(`${name} ${field} do not match (${lm.reason})`);
      continue;
    }
    const miss = matchers.find((m) => !m.matches(allow));
    if (!miss) return undefined;
    reasons.push(`${name} ${miss.explain(allow)}`);
  }
  return `access denied to ${subject}: ${reasons.join('; ')}`;
}

/** Union of a list field over roles whose selector matches, minus denied values; nothing when deny labels match. */
export function collectForResource(
  roles: readonly Role[], field: SelectorField, labels: Record<string, string>, list: keyof RoleConditions,
): string[] {
  const allowed = new Set<string>();
  const denied = new Set<string>();
  if (roles.some((r) => matchLabels(r.spec.deny?.[field], labels).matched)) return [];
  for (const role of roles) {
    const { allow = {}, deny = {} } = role.spec;
    if (matchLabels(allow[field], labels).matched) for (const v of (allow[list] as string[] | undefined) ?? []) allowed.add(v);
    // Denied values apply whatever the labels, as deny matchers are greedy.
    for (const v of (deny[list] as string[] | undefined) ?? []) denied.add(v);
  }
  return [...allowed].filter((v) => !denied.has(v));
}

/**
 * Compiles `collectForResource(roles, field, labels, list).length > 0` for matching many resources
 * with one set of roles: true unless a deny selector matches, when some role whose allow selector
 * matches allows a value of `list` that no role denies. The selectors are compiled once, and roles
 * that allow nothing undenied are dropped up front.
 */
export function compileAnyAllowed(
  roles: readonly Role[], field: SelectorField, list: keyof RoleConditions,
): (labels: Record<string, string>) => boolean {
  const values = (c: RoleConditions | undefined): string[] => (c?.[list] as string[] | undefined) ?? [];
  const denied = new Set(roles.flatMap((r) => values(r.spec.deny)));
  const deny = roles.map((r) => compileSelector(r.spec.deny?.[field]));
  const allow = roles
    .filter((r) => values(r.spec.allow).some((v) => !denied.has(v)))
    .map((r) => compileSelector(r.spec.allow?.[field]));
  return (labels) => !deny.some((m) => m(labels)) && allow.some((m) => m(labels));
}
