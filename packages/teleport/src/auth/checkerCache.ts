/**
 * @module auth/checkerCache
 * Reuses AccessCheckers across calls that read the same roles. Building a checker expands every role's
 * trait templates, which was a fifth of issuing a certificate pair (docs/benchmarks.md). Callers still
 * read the user and roles from the backend on every call, so deleted users and changed roles take
 * effect exactly as before; only the derived checker is shared, keyed by each role's name and storage
 * revision (a fresh random id on every write) and by the traits. Roles without a revision (built in
 * memory rather than read from the backend) are never cached.
 */
import type { Role } from '@teleport-ts/api/types/role';
import type { Traits } from '@teleport-ts/api/types/user';
import { AccessChecker } from '../services/rbac/accessChecker.ts';

const MAX_ENTRIES = 512;
const checkers = new Map<string, AccessChecker>();

/** The cache key of a set of roles and traits, or undefined when some role has no revision. */
function keyOf(roles: readonly Role[], traits: Traits): string | undefined {
  let key = '';
  for (const r of roles) {
    const revision = r.metadata.revision;
    if (!revision) return undefined;
    key += `${r.metadata.name}\u0000${revision}\u0000`;
  }
  return `${key}\u0001${JSON.stringify(traits)}`;
}

/** An AccessChecker for `roles` and `traits`: a shared one when the same role revisions and traits were seen before. */
export function accessCheckerFor(roles: readonly Role[], traits: Traits): AccessChecker {
  const key = keyOf(roles, traits);
  if (key === undefined) return new AccessChecker(roles, traits);
  const known = checkers.get(key);
  if (known) return known;
  const checker = new AccessChecker(roles, traits);
  // Old revisions are never asked for again; dropping the oldest entry bounds memory.
  if (checkers.size >= MAX_ENTRIES) checkers.delete(checkers.keys().next().value as string);
  checkers.set(key, checker);
  return checker;
}
