/**
 * @module types/validate/roleConditions
 * Checks a role's `allow` / `deny` blocks: string lists (with trait templates), label selectors
 * (glob, `^regex$`, `'*': '*'`), Kubernetes resources, access-request blocks and rules.
 */
import type { AccessRequestConditions, KubernetesResource, Labels, RoleConditions, Rule } from '../role.ts';
import { Verbs } from '../role.ts';
import type { FieldPath } from '../../yamlSource.ts';
import { errorMessage } from '../../errors.ts';
import { type Ctx, type Obj, checkKeys, compact, fail, optCount, optString, optStringList, readMap, readString, typeName } from './common.ts';
import { compileGoRegexp, isTemplate, parseTemplate } from './template.ts';
import { parseWhere } from './where.ts';

/** Every verb a rule may name. */
export const KnownVerbs: readonly string[] = [...Object.values(Verbs), 'rotate', 'impersonate', 'create_enroll_token', 'enroll'];

/** Condition fields holding lists of strings that may contain trait templates. */
export const TemplatedListFields = [
  'logins', 'db_names', 'db_users', 'db_roles', 'kubernetes_groups', 'kubernetes_users', 'windows_desktop_logins',
] as const;

/** Condition fields holding label selectors. */
export const LabelSelectorFields = [
  'node_labels', 'db_labels', 'app_labels', 'kubernetes_labels', 'windows_desktop_labels',
] as const;

const otherFields = ['kubernetes_resources', 'request', 'review_requests', 'impersonate', 'rules'] as const;
const fieldOrder: ReadonlyArray<keyof RoleConditions> = [
  'logins', 'node_labels', 'db_labels', 'db_names', 'db_users', 'db_roles', 'app_labels', 'kubernetes_labels',
  'kubernetes_groups', 'kubernetes_users', 'kubernetes_resources', 'windows_desktop_labels', 'windows_desktop_logins',
  'request', 'review_requests', 'impersonate', 'rules',
];
/** Accepted for upstream compatibility; there is a single namespace so it is dropped. */
const ignoredFields = ['namespaces'];

const templateProblem = (item: string): string | undefined => {
  try {
    parseTemplate(item);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
};

function selectorValueProblem(value: string): string | undefined {
  if (isTemplate(value)) return templateProblem(value);
  if (value.startsWith('^') && value.endsWith('$')) {
    try {
      compileGoRegexp(value);
    } catch (err) {
      return errorMessage(err);
    }
  }
  return undefined;
}

/** Reads a label selector: label name -> value or list of values (glob, `^regex$` or template). */
export function readSelector(ctx: Ctx, v: unknown, path: FieldPath): Labels | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  const out: Labels = {};
  for (const [key, raw] of Object.entries(m)) {
    const at = [...path, key];
    if (key === '') fail(ctx, path, 'label names must not be empty');
    if (isTemplate(key)) {
      const problem = templateProblem(key);
      if (problem) fail(ctx, at, problem);
    }
    let values: string[];
    if (typeof raw === 'string') values = [raw];
    else if (Array.isArray(raw)) {
      values = raw.map((item: unknown, i) => {
        if (typeof item !== 'string') fail(ctx, [...at, i], `expected a string, got ${typeName(item)}`);
        return item;
      });
    } else fail(ctx, at, `expected a string or a list of strings, got ${typeName(raw)}`);
    if (key === '*' && (values.length !== 1 || values[0] !== '*')) {
      fail(ctx, at, `the wildcard label name '*' only accepts the value '*' (matching every resource)`);
    }
    values.forEach((val, i) => {
      const problem = selectorValueProblem(val);
      if (problem) fail(ctx, Array.isArray(raw) ? [...at, i] : at, problem);
    });
    out[key] = typeof raw === 'string' ? raw : values;
  }
  return out;
}

function readRules(ctx: Ctx, v: unknown, path: FieldPath): Rule[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(ctx, path, `expected a list of rules, got ${typeName(v)}`);
  return v.map((raw: unknown, i) => {
    const at = [...path, i];
    const m = readMap(ctx, raw, at);
    checkKeys(ctx, m, at, ['resources', 'verbs', 'where']);
    const resources = optStringList(ctx, m.resources, [...at, 'resources']);
    if (!resources?.length) fail(ctx, [...at, 'resources'], 'list at least one resource kind (or "*")');
    const verbs = optStringList(ctx, m.verbs, [...at, 'verbs'], (verb) =>
      KnownVerbs.includes(verb) ? undefined : `unknown verb "${verb}"; known verbs: ${KnownVerbs.join(', ')}`);
    if (!verbs?.length) fail(ctx, [...at, 'verbs'], 'list at least one verb (or "*")');
    const where = optString(ctx, m.where, [...at, 'where']);
    if (where) {
      try {
        parseWhere(where);
      } catch (err) {
        fail(ctx, [...at, 'where'], errorMessage(err));
      }
    }
    return compact({ resources, verbs, where: where || undefined });
  });
}

function readKubeResources(ctx: Ctx, v: unknown, path: FieldPath): KubernetesResource[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(ctx, path, `expected a list, got ${typeName(v)}`);
  return v.map((raw: unknown, i) => {
    const at = [...path, i];
    const m = readMap(ctx, raw, at);
    checkKeys(ctx, m, at, ['kind', 'namespace', 'name', 'verbs']);
    return compact({
      kind: readString(ctx, m.kind, [...at, 'kind']),
      namespace: optString(ctx, m.namespace, [...at, 'namespace']),
      name: optString(ctx, m.name, [...at, 'name']),
      verbs: optStringList(ctx, m.verbs, [...at, 'verbs']),
    });
  });
}

function readRequest(ctx: Ctx, v: unknown, path: FieldPath): AccessRequestConditions | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  checkKeys(ctx, m, path, ['roles', 'thresholds']);
  let thresholds: AccessRequestConditions['thresholds'];
  if (m.thresholds !== undefined && m.thresholds !== null) {
    if (!Array.isArray(m.thresholds)) fail(ctx, [...path, 'thresholds'], `expected a list, got ${typeName(m.thresholds)}`);
    thresholds = m.thresholds.map((raw: unknown, i) => {
      const at = [...path, 'thresholds', i];
      const t = readMap(ctx, raw, at);
      checkKeys(ctx, t, at, ['approve', 'deny', 'name']);
      return compact({
        approve: optCount(ctx, t.approve, [...at, 'approve']),
        deny: optCount(ctx, t.deny, [...at, 'deny']),
        name: optString(ctx, t.name, [...at, 'name']),
      });
    });
  }
  return compact({ roles: optStringList(ctx, m.roles, [...path, 'roles']), thresholds });
}

function readSubBlock(ctx: Ctx, v: unknown, path: FieldPath, keys: readonly string[]): Record<string, string[]> | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  checkKeys(ctx, m, path, keys);
  const out: Record<string, string[]> = {};
  for (const k of keys) {
    const list = optStringList(ctx, m[k], [...path, k]);
    if (list) out[k] = list;
  }
  return out;
}

/** Reads `spec.allow` or `spec.deny` (absent means an empty block). */
export function readConditions(ctx: Ctx, v: unknown, which: 'allow' | 'deny'): RoleConditions {
  const path = ['spec', which];
  const m: Obj = readMap(ctx, v, path, true);
  checkKeys(ctx, m, path, [...TemplatedListFields, ...LabelSelectorFields, ...otherFields, ...ignoredFields]);
  const raw: RoleConditions = {};
  for (const f of TemplatedListFields) {
    const list = optStringList(ctx, m[f], [...path, f], templateProblem);
    if (list) raw[f] = list;
  }
  for (const f of LabelSelectorFields) {
    const sel = readSelector(ctx, m[f], [...path, f]);
    if (sel) raw[f] = sel;
  }
  optStringList(ctx, m.namespaces, [...path, 'namespaces']);
  raw.kubernetes_resources = readKubeResources(ctx, m.kubernetes_resources, [...path, 'kubernetes_resources']);
  raw.request = readRequest(ctx, m.request, [...path, 'request']);
  raw.review_requests = readSubBlock(ctx, m.review_requests, [...path, 'review_requests'], ['roles']);
  raw.impersonate = readSubBlock(ctx, m.impersonate, [...path, 'impersonate'], ['users', 'roles']);
  raw.rules = readRules(ctx, m.rules, [...path, 'rules']);
  // Emit fields in the order upstream documents them, so formatted roles read naturally.
  const out: Record<string, unknown> = {};
  for (const f of fieldOrder) if (raw[f] !== undefined) out[f] = raw[f];
  return out as RoleConditions;
}
