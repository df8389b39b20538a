/**
 * @module types/validate/template
 * Parser for role trait templates: `prefix{{expr}}suffix` where expr is a trait variable
 * (`internal.logins`, `external.groups`, `internal["logins"]`) optionally wrapped in functions
 * (`email.local(...)`, `regexp.replace(..., "re", "repl")`, `strings.upper/lower(...)`). Role validation
 * uses it to reject bad templates early; the server's RBAC engine evaluates the parsed form.
 */
import { BadParameterError } from '../../errors.ts';
import { TokenStream, tokenize } from './lexer.ts';

/** Functions a template may call. */
export const TemplateFunctions = ['email.local', 'regexp.replace', 'strings.upper', 'strings.lower'] as const;
/** A template function name. */
export type TemplateFunction = (typeof TemplateFunctions)[number];

/** Trait names readable through the `internal` namespace. */
export const InternalTraits = [
  'logins', 'windows_logins', 'kubernetes_groups', 'kubernetes_users', 'db_names', 'db_users', 'db_roles',
  'aws_role_arns', 'azure_identities', 'gcp_service_accounts', 'jwt',
] as const;

/** A template expression. */
export type TemplateExpr =
  | { type: 'var'; namespace: 'internal' | 'external'; name: string }
  | { type: 'call'; fn: TemplateFunction; arg: TemplateExpr; params: string[] };

/** A parsed value: plain text, or one expression with literal text around it. */
export type Template =
  | { kind: 'literal'; value: string }
  | { kind: 'expr'; prefix: string; suffix: string; expr: TemplateExpr };

/** Compiles a Go (RE2) regular expression as a JS RegExp; `(?P<name>` groups are accepted. */
export function compileGoRegexp(pattern: string): RegExp {
  try {
    return new RegExp(pattern.replaceAll('(?P<', '(?<'), 'u');
  } catch (err) {
    throw new BadParameterError(`invalid regular expression "${pattern}": ${(err as Error).message}`);
  }
}

/** Converts a Go replacement string (`$1`, `${1}`, `${name}`) to JS `String.replace` syntax. */
export function goReplacementToJS(repl: string): string {
  return repl.replace(/\$\{(\w+)\}/g, (_, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`));
}

/** True when the text contains a `{{...}}` template. */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}

const paramCount: Record<TemplateFunction, number> = {
  'email.local': 0, 'regexp.replace': 2, 'strings.upper': 0, 'strings.lower': 0,
};

function parseExpr(ts: TokenStream, what: string): TemplateExpr {
  const head = ts.next();
  if (head.type !== 'ident') return ts.fail('expected a trait like internal.logins or a function');
  if (head.value === 'internal' || head.value === 'external') {
    let name: string;
    if (ts.accept('.')) {
      const t = ts.next();
      if (t.type !== 'ident') return ts.fail('expected a trait name');
      name = t.value;
    } else if (ts.accept('[')) {
      const t = ts.next();
      if (t.type !== 'string') return ts.fail('expected a quoted trait name');
      name = t.value;
      ts.expect(']');
    } else {
      return ts.fail(`expected "." or "[" after ${head.value}`);
    }
    if (head.value === 'internal' && !(InternalTraits as readonly string[]).includes(name)) {
      throw new BadParameterError(`${what}: unsupported variable internal.${name}; internal traits are ${InternalTraits.join(', ')}`);
    }
    return { type: 'var', namespace: head.value, name };
  }
  ts.expect('.');
  const member = ts.next();
  if (member.type !== 'ident') return ts.fail('expected a function name');
  const fn = `${head.value}.${member.value}`;
  if (!(TemplateFunctions as readonly string[]).includes(fn)) {
    throw new BadParameterError(`${what}: unknown function or namespace "${fn}"; use internal.<trait>, external.<trait> or ${TemplateFunctions.join(', ')}`);
  }
  ts.expect('(');
  const arg = parseExpr(ts, what);
  const params: string[] = [];
  while (ts.accept(',')) {
    const t = ts.next();
    if (t.type !== 'string') return ts.fail(`${fn} takes quoted string arguments after the trait`);
    params.push(t.value);
  }
  ts.expect(')');
  const want = paramCount[fn as TemplateFunction];
  if (params.length !== want) {
    throw new BadParameterError(`${what}: ${fn} takes ${want + 1} argument${want ? 's' : ''}, got ${params.length + 1}`);
  }
  if (fn === 'regexp.replace') {
    try {
      compileGoRegexp(params[0] as string);
    } catch (err) {
      throw new BadParameterError(`${what}: ${(err as Error).message}`);
    }
  }
  return { type: 'call', fn: fn as TemplateFunction, arg, params };
}

/** Parses one value; throws BadParameterError naming the template when it is malformed. */
export function parseTemplate(text: string): Template {
  const open = text.indexOf('{{');
  if (open < 0) return { kind: 'literal', value: text };
  const what = `invalid template "${text}"`;
  const close = text.indexOf('}}', open);
  if (close < 0) throw new BadParameterError(`${what}: "{{" without a closing "}}"`);
  const suffix = text.slice(close + 2);
  if (suffix.includes('{{')) throw new BadParameterError(`${what}: only one {{...}} expression is allowed per value`);
  const ts = new TokenStream(tokenize(text.slice(open + 2, close), what), what);
  const expr = parseExpr(ts, what);
  if (ts.peek().type !== 'end') ts.fail('unexpected text after the expression');
  return { kind: 'expr', prefix: text.slice(0, open), suffix, expr };
}
