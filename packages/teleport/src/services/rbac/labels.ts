/**
 * @module services/rbac/labels
 * Label selectors as roles use them: a value wrapped in `^...$` is a regular expression, anything
 * else is a glob where `*` matches any run of characters; both are anchored. `'*': '*'` matches every
 * resource (even one without labels); keys are AND-ed and a list of values is OR-ed; an empty selector
 * matches nothing.
 */
import type { Labels } from '@teleport-ts/api/types/role';
import { compileGoRegexp } from '@teleport-ts/api/types/validate/template';

/** Result of matching a selector, with a reason a person can act on when it fails. */
export interface LabelMatch {
  matched: boolean;
  reason?: string;
}

// Selectors come from a handful of roles; caching compiled patterns keeps per-node checks cheap.
const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 10_000;

function compile(pattern: string): RegExp | null {
  let re = cache.get(pattern);
  if (re !== undefined) return re;
  if (pattern.startsWith('^') && pattern.endsWith('$')) {
    try {
      re = compileGoRegexp(pattern);
    } catch {
      re = null; // invalid regexps are rejected when roles are validated; here they match nothing
    }
  } else {
    const body = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    re = new RegExp(`^${body}$`, 's');
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** True when `value` matches the glob (`*` wildcards, anchored) or `^regex$` in `pattern`. */
export function matchGlob(pattern: string, value: string): boolean {
  return compile(pattern)?.test(value) ?? false;
}

/** The values of one selector entry as a list. */
export function selectorValues(v: string | string[]): string[] {
  return typeof v === 'string' ? [v] : v;
}

/** Formats a selector for messages: "env=prod team=a|b". */
export function describeSelector(selector: Labels): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${selectorValues(v).join('|')}`)
    .join(' ');
}

/** True when the selector is exactly the match-everything wildcard `'*': '*'`. */
export function isWildcardSelector(selector: Labels): boolean {
  const v = selector['*'];
  return v !== undefined && selectorValues(v).length === 1 && selectorValues(v)[0] === '*';
}

/** Matches a label selector against a resource's labels. */
export function matchLabels(selector: Labels | undefined, labels: Record<string, string>): LabelMatch {
  if (!selector || Object.keys(selector).length === 0) return { matched: false, reason: 'no labels are selected' };
  if (isWildcardSelector(selector)) return { matched: true };
  for (const [key, raw] of Object.entries(selector)) {
    const values = selectorValues(raw);
    const actual = Object.hasOwn(labels, key) ? labels[key] : undefined;
    if (actual === undefined) return { matched: false, reason: `resource has no label "${key}"` };
    if (values.includes('*')) continue;
    if (!values.some((v) => matchGlob(v, actual))) {
      const want = values.length === 1 ? values[0] : `one of [${values.join(', ')}]`;
      return { matched: false, reason: `label ${key} is "${actual}", want ${want}` };
    }
  }
  return { matched: true };
}

/** A label selector compiled once: answers what `matchLabels(selector, labels).matched` would. */
export type CompiledSelector = (labels: Record<string, string>) => boolean;

const matchNothing: CompiledSelector = () => false;
const matchEverything: CompiledSelector = () => true;

/**
 * Compiles a selector for matching many resources (e.g. every node of a list): the entries, the
 * value lists and their patterns are resolved once, and no reason is built for a miss.
 */
export function compileSelector(selector: Labels | undefined): CompiledSelector {
  if (!selector || Object.keys(selector).length === 0) return matchNothing;
  if (isWildcardSelector(selector)) return matchEverything;
  const keys = Object.entries(selector).map(([key, raw]) => {
    const values = selectorValues(raw);
    // A `*` value accepts any value of the key (the key must still be present).
    const any = values.includes('*');
    const patterns = any ? [] : values.map((v) => compile(v));
    return { key, any, patterns };
  });
  return (labels) => {
    for (const { key, any, patterns } of keys) {
      if (!Object.hasOwn(labels, key)) return false;
      const actual = labels[key];
      if (actual === undefined) return false;
      if (any) continue;
      let hit = false;
      for (const re of patterns) {
        if (re?.test(actual)) {
          hit = true;
          break;
        }
      }
      if (!hit) return false;
    }
    return true;
  };
}
