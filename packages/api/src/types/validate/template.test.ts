/**
 * Table tests for the trait template and where-clause parsers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, goReplacementToJS } from './template.ts';
import { parseWhere } from './where.ts';

describe('parseTemplate', () => {
  const ok: Array<[string, unknown]> = [
    ['root', { kind: 'literal', value: 'root' }],
    ['{{internal.logins}}', { kind: 'expr', prefix: '', suffix: '', expr: { type: 'var', namespace: 'internal', name: 'logins' } }],
    ['{{ external.groups }}', { kind: 'expr', prefix: '', suffix: '', expr: { type: 'var', namespace: 'external', name: 'groups' } }],
    ['{{internal["logins"]}}', { kind: 'expr', prefix: '', suffix: '', expr: { type: 'var', namespace: 'internal', name: 'logins' } }],
    ['{{external["http://idp/claims/email"]}}', { kind: 'expr', prefix: '', suffix: '', expr: { type: 'var', namespace: 'external', name: 'http://idp/claims/email' } }],
    ['ssh-{{internal.logins}}-x', { kind: 'expr', prefix: 'ssh-', suffix: '-x', expr: { type: 'var', namespace: 'internal', name: 'logins' } }],
    ['{{email.local(external.email)}}', { kind: 'expr', prefix: '', suffix: '', expr: { type: 'call', fn: 'email.local', params: [], arg: { type: 'var', namespace: 'external', name: 'email' } } }],
    ['{{regexp.replace(external.groups, "^admin-(.*)$", "$1")}}', { kind: 'expr', prefix: '', suffix: '', expr: { type: 'call', fn: 'regexp.replace', params: ['^admin-(.*)$', '$1'], arg: { type: 'var', namespace: 'external', name: 'groups' } } }],
    ['{{strings.lower(email.local(external.email))}}', { kind: 'expr', prefix: '', suffix: '', expr: { type: 'call', fn: 'strings.lower', params: [], arg: { type: 'call', fn: 'email.local', params: [], arg: { type: 'var', namespace: 'external', name: 'email' } } } }],
  ];
  for (const [text, want] of ok) it(`parses ${text}`, () => assert.deepEqual(parseTemplate(text), want));

  const bad: Array<[string, RegExp]> = [
    ['{{internal.logins', /without a closing "}}"/],
    ['{{internal.logins}}{{external.x}}', /only one \{\{\.\.\.\}\} expression/],
    ['{{internal.nope}}', /unsupported variable internal\.nope/],
    ['{{email.local(external.email, "x")}}', /email\.local takes 1 argument, got 2/],
    ['{{regexp.replace(external.g, "(")}}', /regexp\.replace takes 3 arguments, got 2/],
    ['{{regexp.replace(external.g, "(", "x")}}', /invalid regular expression "\("/],
    ['{{internal}}', /expected "\." or "\[" after internal/],
    ['{{internal.logins extra}}', /unexpected text after the expression/],
    ['{{internal.logins @}}', /unexpected character "@"/],
  ];
  for (const [text, re] of bad) it(`rejects ${text}`, () => assert.throws(() => parseTemplate(text), re));

  it('converts Go replacement syntax', () => {
    assert.equal(goReplacementToJS('${1}-$2-${name}'), '$1-$2-$<name>');
  });
});

describe('parseWhere', () => {
  it('parses calls, fields, boolean operators and literals', () => {
    assert.deepEqual(parseWhere('contains(session.participants, user.metadata.name)'), {
      type: 'call', fn: 'contains', args: [{ type: 'field', path: ['session', 'participants'] }, { type: 'field', path: ['user', 'metadata', 'name'] }],
    });
    assert.deepEqual(parseWhere('!equals(resource.metadata.labels["env"], "prod") && true || x == 1'), {
      type: 'or',
      left: {
        type: 'and',
        left: { type: 'not', expr: { type: 'call', fn: 'equals', args: [{ type: 'field', path: ['resource', 'metadata', 'labels', 'env'] }, { type: 'literal', value: 'prod' }] } },
        right: { type: 'literal', value: true },
      },
      right: { type: 'eq', left: { type: 'field', path: ['x'] }, right: { type: 'literal', value: 1 } },
    });
  });

  const bad: Array<[string, RegExp]> = [
    ['frob(a, b)', /unknown function "frob"/],
    ['equals(a)', /equals takes 2 arguments, got 1/],
    ['contains(a, b', /expected "\)"/],
    ['a.', /expected a field name/],
    ['"unterminated', /unterminated string/],
  ];
  for (const [text, re] of bad) it(`rejects ${text}`, () => assert.throws(() => parseWhere(text), re));
});
