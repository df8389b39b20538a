/**
 * @module types/validate/where
 * Parser for rule `where` clauses, e.g. `contains(session.participants, user.metadata.name)` or
 * `equals(resource.metadata.labels["env"], "dev") && !equals(user.metadata.name, "bob")`.
 * Grammar: `||`, `&&`, `!`, parentheses, `==`/`!=`, calls to `equals(a, b)` and `contains(list, x)`,
 * field paths (`a.b["c"]`), string, number and boolean literals. Evaluation lives in the RBAC engine.
 */
import { BadParameterError } from '../../errors.ts';
import { TokenStream, tokenize } from './lexer.ts';

/** Functions a where clause may call. */
export const WhereFunctions = ['equals', 'contains'] as const;

/** A parsed where expression. */
export type WhereExpr =
  | { type: 'and' | 'or' | 'eq' | 'neq'; left: WhereExpr; right: WhereExpr }
  | { type: 'not'; expr: WhereExpr }
  | { type: 'call'; fn: (typeof WhereFunctions)[number]; args: WhereExpr[] }
  | { type: 'field'; path: string[] }
  | { type: 'literal'; value: string | number | boolean };

function parseOr(ts: TokenStream, what: string): WhereExpr {
  let left = parseAnd(ts, what);
  while (ts.accept('||')) left = { type: 'or', left, right: parseAnd(ts, what) };
  return left;
}

function parseAnd(ts: TokenStream, what: string): WhereExpr {
  let left = parseCompare(ts, what);
  while (ts.accept('&&')) left = { type: 'and', left, right: parseCompare(ts, what) };
  return left;
}

function parseCompare(ts: TokenStream, what: string): WhereExpr {
  const left = parseUnary(ts, what);
  if (ts.accept('==')) return { type: 'eq', left, right: parseUnary(ts, what) };
  if (ts.accept('!=')) return { type: 'neq', left, right: parseUnary(ts, what) };
  return left;
}

function parseUnary(ts: TokenStream, what: string): WhereExpr {
  if (ts.accept('!')) return { type: 'not', expr: parseUnary(ts, what) };
  if (ts.accept('(')) {
    const inner = parseOr(ts, what);
    ts.expect(')');
    return inner;
  }
  const t = ts.next();
  if (t.type === 'string' || t.type === 'number') return { type: 'literal', value: t.value };
  if (t.type !== 'ident') return ts.fail('expected a field, literal or function call');
  if (t.value === 'true' || t.value === 'false') return { type: 'literal', value: t.value === 'true' };
  if (ts.accept('(')) {
    if (!(WhereFunctions as readonly string[]).includes(t.value)) {
      throw new BadParameterError(`${what}: unknown function "${t.value}"; use ${WhereFunctions.join(' or ')}`);
    }
    const args: WhereExpr[] = [];
    if (!ts.accept(')')) {
      do args.push(parseOr(ts, what)); while (ts.accept(','));
      ts.expect(')');
    }
    if (args.length !== 2) throw new BadParameterError(`${what}: ${t.value} takes 2 arguments, got ${args.length}`);
    return { type: 'call', fn: t.value as (typeof WhereFunctions)[number], args };
  }
  const path = [t.value];
  for (;;) {
    if (ts.accept('.')) {
      const n = ts.next();
      if (n.type !== 'ident') return ts.fail('expected a field name');
      path.push(n.value);
    } else if (ts.accept('[')) {
      const n = ts.next();
      if (n.type !== 'string') return ts.fail('expected a quoted key');
      path.push(n.value);
      ts.expect(']');
    } else {
      return { type: 'field', path };
    }
  }
}

/** Parses a where clause; throws BadParameterError describing the problem. */
export function parseWhere(text: string): WhereExpr {
  const what = `invalid where clause "${text}"`;
  const ts = new TokenStream(tokenize(text, what), what);
  const expr = parseOr(ts, what);
  if (ts.peek().type !== 'end') ts.fail('unexpected text after the expression');
  return expr;
}
