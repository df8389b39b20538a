/**
 * @module services/rbac/traits
 * Trait template interpolation: turns `{{internal.logins}}`, `ssh-{{external.user}}` or
 * `{{regexp.replace(external.groups, "^admin-(.*)$", "$1")}}` into concrete values from a user's
 * traits, and applies that to every templated field of a role. A value whose trait is missing expands
 * to nothing; a list that becomes empty is removed.
 */
import type { Labels, Role, RoleConditions } from '@teleport-ts/api/types/role';
import type { Traits } from '@teleport-ts/api/types/user';
import {
  compileGoRegexp, goReplacementToJS, parseTemplate, type TemplateExpr,
} from '@teleport-ts/api/types/validate/template';
import { LabelSelectorFields, TemplatedListFields } from '@teleport-ts/api/types/validate/roleConditions';

function localPart(address: string): string | undefined {
  const inner = /<([^>]*)>/.exec(address)?.[1] ?? address.trim();
  const at = inner.lastIndexOf('@');
  if (at <= 0 || at === inner.length - 1) return undefined;
  return inner.slice(0, at);
}

/** Evaluates a parsed template expression to its list of values (empty values are dropped). */
export function evaluateTemplateExpr(expr: TemplateExpr, traits: Traits): string[] {
  if (expr.type === 'var') return (Object.hasOwn(traits, expr.name) ? traits[expr.name] : undefined) ?? [];
  const input = evaluateTemplateExpr(expr.arg, traits);
  switch (expr.fn) {
    case 'email.local':
      return input.map(localPart).filter((v): v is string => !!v);
    case 'strings.upper':
      return input.map((v) => v.toUpperCase());
    case 'strings.lower':
      return input.map((v) => v.toLowerCase());
    case 'regexp.replace': {
      const re = compileGoRegexp(expr.params[0] as string);
      const global = new RegExp(re.source, `${re.flags}g`);
      const repl = goReplacementToJS(expr.params[1] as string);
      // Like upstream, values that do not match the expression are dropped rather than kept as-is.
      return input.filter((v) => re.test(v)).map((v) => v.replace(global, repl)).filter((v) => v !== '');
    }
  }
}

/** Expands one value; literals come back unchanged, malformed templates expand to nothing. */
export function interpolate(value: string, traits: Traits): string[] {
  let t;
  try {
    t = parseTemplate(value);
  } catch {
    return [];
  }
  if (t.kind === 'literal') return [t.value];
  return evaluateTemplateExpr(t.expr, traits).filter((v) => v !== '').map((v) => `${t.prefix}${v}${t.suffix}`);
}

/** Expands every value of a list and removes duplicates. */
export function interpolateList(values: readonly string[], traits: Traits): string[] {
  return [...new Set(values.flatMap((v) => interpolate(v, traits)))];
}

/** Upstream's rule for logins that came from traits: no leading '-', no ':' or whitespace, at most 32 chars. */
export function isValidUnixLogin(login: string): boolean {
  return login.length > 0 && login.length <= 32 && !login.startsWith('-') && !/[:\s]/.test(login);
}

/**
 * Expands a label selector. Keys that do not expand to exactly one name and values that expand to
 * nothing are kept but can never match: dropping them would widen what an allow rule selects.
 */
export function interpolateLabels(selector: Labels, traits: Traits): Labels {
  const out: Labels = {};
  for (const [key, raw] of Object.entries(selector)) {
    const keys = interpolate(key, traits);
    const name = keys.length === 1 ? (keys[0] as string) : '';
    const values = interpolateList(typeof raw === 'string' ? [raw] : raw, traits);
    const prev = out[name];
    out[name] = prev === undefined ? values : [...new Set([...(typeof prev === 'string' ? [prev] : prev), ...values])];
  }
  return out;
}

function applyToConditions(c: RoleConditions | undefined, traits: Traits): RoleConditions {
  const out: RoleConditions = structuredClone(c ?? {});
  for (const f of TemplatedListFields) {
    const list = out[f];
    if (!list) continue;
    let values = interpolateList(list, traits);
    if (f === 'logins') values = values.filter(isValidUnixLogin);
    if (values.length) out[f] = values;
    else delete out[f];
  }
  for (const f of LabelSelectorFields) {
    const sel = out[f];
    if (sel) out[f] = interpolateLabels(sel, traits);
  }
  return out;
}

/** Returns a copy of `role` with traits substituted into logins, db/kube/desktop identities and label selectors. */
export function applyTraitsToRole(role: Role, traits: Traits): Role {
  return {
    ...role,
    metadata: structuredClone(role.metadata),
    spec: {
      ...(role.spec.options && { options: structuredClone(role.spec.options) }),
      allow: applyToConditions(role.spec.allow, traits),
      deny: applyToConditions(role.spec.deny, traits),
    },
  };
}
