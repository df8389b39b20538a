/**
 * Table tests for label selectors: globs, regexps, the wildcard, AND across keys, OR across values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Labels } from '@teleport-ts/api/types/role';
import { compileSelector, describeSelector, matchGlob, matchLabels } from './labels.ts';

describe('matchGlob', () => {
  const cases: Array<[string, string, boolean]> = [
    ['prod', 'prod', true],
    ['prod', 'production', false], // anchored
    ['prod*', 'production', true],
    ['*-db', 'users-db', true],
    ['*-db', 'users-db-2', false],
    ['a*b*c', 'aXXbYYc', true],
    ['*', '', true],
    ['x.y', 'xzy', false], // dots are literal in globs
    ['(a)', '(a)', true],
    ['^prod-[0-9]+$', 'prod-12', true],
    ['^prod-[0-9]+$', 'prod-x', false],
    ['^(dev|stage)$', 'stage', true],
    ['^(?P<env>dev)$', 'dev', true], // Go named groups
    ['^(unclosed$', '(unclosed', false], // invalid regexp never matches
  ];
  for (const [pattern, value, want] of cases) {
    it(`${pattern} vs ${JSON.stringify(value)} -> ${want}`, () => assert.equal(matchGlob(pattern, value), want));
  }
});

describe('matchLabels', () => {
  const cases: Array<{ name: string; sel: Labels | undefined; labels: Record<string, string>; want: boolean; reason?: string }> = [
    { name: 'wildcard matches labels', sel: { '*': '*' }, labels: { env: 'prod' }, want: true },
    { name: 'wildcard matches no labels', sel: { '*': '*' }, labels: {}, want: true },
    { name: 'wildcard as a list', sel: { '*': ['*'] }, labels: {}, want: true },
    { name: 'empty selector matches nothing', sel: {}, labels: { env: 'prod' }, want: false, reason: 'no labels are selected' },
    { name: 'undefined selector matches nothing', sel: undefined, labels: {}, want: false },
    { name: 'exact value', sel: { env: 'prod' }, labels: { env: 'prod' }, want: true },
    { name: 'wrong value', sel: { env: 'prod' }, labels: { env: 'dev' }, want: false, reason: 'label env is "dev", want prod' },
    { name: 'missing key', sel: { env: 'prod' }, labels: { team: 'a' }, want: false, reason: 'resource has no label "env"' },
    { name: 'value * needs the key', sel: { env: '*' }, labels: {}, want: false, reason: 'resource has no label "env"' },
    { name: 'value * with key', sel: { env: '*' }, labels: { env: 'anything' }, want: true },
    { name: 'keys are ANDed (both)', sel: { env: 'prod', team: 'db' }, labels: { env: 'prod', team: 'db' }, want: true },
    { name: 'keys are ANDed (one fails)', sel: { env: 'prod', team: 'db' }, labels: { env: 'prod', team: 'web' }, want: false, reason: 'label team is "web", want db' },
    { name: 'values are ORed', sel: { env: ['dev', 'stage'] }, labels: { env: 'stage' }, want: true },
    { name: 'values ORed, none match', sel: { env: ['dev', 'stage'] }, labels: { env: 'prod' }, want: false, reason: 'label env is "prod", want one of [dev, stage]' },
    { name: 'empty value list matches nothing', sel: { env: [] }, labels: { env: 'prod' }, want: false },
    { name: 'glob value', sel: { host: 'web-*' }, labels: { host: 'web-12' }, want: true },
    { name: 'regex value', sel: { env: '^(prod|stage)-[a-z]+$' }, labels: { env: 'prod-eu' }, want: true },
    { name: 'regex is anchored by its own ^$', sel: { env: '^prod$' }, labels: { env: 'prod-eu' }, want: false },
    { name: 'mixed glob and regex values', sel: { env: ['dev*', '^qa[0-9]$'] }, labels: { env: 'qa7' }, want: true },
  ];
  for (const c of cases) {
    it(`${c.name} (compiled too)`, () => assert.equal(compileSelector(c.sel)(c.labels), c.want));
    it(c.name, () => {
      const got = matchLabels(c.sel, c.labels);
      assert.equal(got.matched, c.want);
      if (c.reason) assert.equal(got.reason, c.reason);
      if (c.want) assert.equal(got.reason, undefined);
    });
  }

  it('describes selectors for messages', () => {
    assert.equal(describeSelector({ env: 'prod', team: ['a', 'b'] }), 'env=prod team=a|b');
  });
});

describe('compileSelector', () => {
  it('agrees with matchLabels on random selectors and label sets', () => {
    // A small deterministic generator, so a failure reproduces.
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const keys = ['env', 'team', '*', 'region'];
    const values = ['prod', 'dev', '*', 'pr*', '^(dev|qa)$', 'eu-*', '', '^[$'];
    const pick = <T>(xs: T[]): T => xs[rnd(xs.length)] as T;
    for (let i = 0; i < 2000; i++) {
      const sel: Labels = {};
      for (let k = rnd(3); k > 0; k--) sel[pick(keys)] = rnd(2) ? pick(values) : [pick(values), pick(values)].slice(0, rnd(3));
      const labels: Record<string, string> = {};
      for (let k = rnd(4); k > 0; k--) labels[pick(keys)] = pick(['prod', 'dev', 'qa', 'eu-1', '*', '']);
      assert.equal(compileSelector(sel)(labels), matchLabels(sel, labels).matched, `${JSON.stringify(sel)} vs ${JSON.stringify(labels)}`);
    }
  });

  it('does not read inherited properties as labels', () => {
    assert.equal(compileSelector({ toString: '*' })({}), false);
    assert.equal(compileSelector({ constructor: '*' })({}), matchLabels({ constructor: '*' }, {}).matched);
  });
});
