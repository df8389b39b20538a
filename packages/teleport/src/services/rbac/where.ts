/**
 * @module services/rbac/where
 * Evaluates rule `where` clauses (parsed by the public API's parser) against a context such as
 * `{ user: { metadata: { name } }, session: { participants: [...] }, resource: {...} }`.
 */
import { parseWhere, type WhereExpr } from '@teleport-ts/api/types/validate/where';

/** Values a where clause can refer to: `user`, `resource`, `session` and so on. */
export type WhereContext = Record<string, unknown>;

const parsed = new Map<string, WhereExpr | Error>();

/** Parses a clause once and caches it; a malformed clause is cached as its error. */
export function compileWhere(text: string): WhereExpr {
  let hit = parsed.get(text);
  if (hit === undefined) {
    try {
      hit = parseWhere(text);
    } catch (err) {
      hit = err as Error;
    }
    if (parsed.size > 1000) parsed.clear();
    parsed.set(text, hit);
  }
  if (hit instanceof Error) throw hit;
  return hit;
}

function lookup(ctx: unknown, path: readonly string[]): unknown {
  let cur = ctx;
  for (const part of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function same(a: unknown, b: unknown): boolean {
  // Missing fields compare like upstream's zero values: as empty strings.
  return (a ?? '') === (b ?? '');
}

/** Evaluates a parsed clause; anything that is not `true` counts as false. */
export function evaluateWhere(expr: WhereExpr, ctx: WhereContext): unknown {
  switch (expr.type) {
    case 'literal': return expr.value;
    case 'field': return lookup(ctx, expr.path);
    case 'not': return evaluateWhere(expr.expr, ctx) !== true;
    case 'and': return evaluateWhere(expr.left, ctx) === true && evaluateWhere(expr.right, ctx) === true;
    case 'or': return evaluateWhere(expr.left, ctx) === true || evaluateWhere(expr.right, ctx) === true;
    case 'eq': return same(evaluateWhere(expr.left, ctx), evaluateWhere(expr.right, ctx));
    case 'neq': return !same(evaluateWhere(expr.left, ctx), evaluateWhere(expr.right, ctx));
    case 'call': {
      const [a, b] = expr.args.map((arg) => evaluateWhere(arg, ctx));
      if (expr.fn === 'equals') return same(a, b);
      return Array.isArray(a) && a.includes(b);
    }
  }
}

/** Parses (cached) and evaluates `text`; throws BadParameterError when it is malformed. */
export function matchWhere(text: string, ctx: WhereContext): boolean {
  return evaluateWhere(compileWhere(text), ctx) === true;
}
