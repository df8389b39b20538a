/**
 * @module services/rbac/rules
 * Resource rules (`rules: [{resources, verbs, where}]`): deny rules are checked first and win;
 * `*` matches any kind or verb; `read` also grants `readnosecrets`. A rule with a `where` clause
 * applies only when the clause holds for the given context; in "guess" mode (deciding whether a list
 * call is worth making) allow clauses are assumed to hold and conditional denies are ignored.
 */
import type { Role, Rule } from '@teleport-ts/api/types/role';
import { matchWhere, type WhereContext } from './where.ts';

/** True when the rule names `kind` (or `*`). */
export function ruleHasResource(rule: Rule, kind: string): boolean {
  return rule.resources.includes('*') || rule.resources.includes(kind);
}

/** True when the rule grants `verb` (or `*`); `read` covers `readnosecrets`. */
export function ruleHasVerb(rule: Rule, verb: string): boolean {
  if (rule.verbs.includes('*') || rule.verbs.includes(verb)) return true;
  return verb === 'readnosecrets' && rule.verbs.includes('read');
}

/** The outcome of a rule check. */
export interface RuleDecision {
  allowed: boolean;
  /** Role that decided (the denying role, or the first allowing one). */
  role?: string;
  /** Where clauses that would have allowed the action but did not hold. */
  unmetWhere: Array<{ role: string; where: string }>;
}

/** How `where` clauses are treated: evaluated against a context, or guessed. */
export type WhereMode = { ctx: WhereContext } | 'guess';

function whereHolds(where: string, mode: WhereMode, effect: 'allow' | 'deny'): boolean {
  if (mode === 'guess') return effect === 'allow';
  try {
    return matchWhere(where, mode.ctx);
  } catch {
    return effect === 'deny'; // a clause that cannot be evaluated fails closed
  }
}

/** Decides whether `roles` allow `verb` on `kind`. */
export function decideRule(roles: readonly Role[], kind: string, verb: string, mode: WhereMode): RuleDecision {
  const unmetWhere: RuleDecision['unmetWhere'] = [];
  const applies = (r: Rule): boolean => ruleHasResource(r, kind) && ruleHasVerb(r, verb);
  for (const role of roles) {
    for (const rule of role.spec.deny?.rules ?? []) {
      if (!applies(rule)) continue;
      if (!rule.where || whereHolds(rule.where, mode, 'deny')) {
        return { allowed: false, role: role.metadata.name, unmetWhere };
      }
    }
  }
  for (const role of roles) {
    for (const rule of role.spec.allow?.rules ?? []) {
      if (!applies(rule)) continue;
      if (!rule.where || whereHolds(rule.where, mode, 'allow')) {
        return { allowed: true, role: role.metadata.name, unmetWhere };
      }
      unmetWhere.push({ role: role.metadata.name, where: rule.where });
    }
  }
  return { allowed: false, unmetWhere };
}
