/**
 * Tests for parseResources: multi-document YAML, JSON objects and arrays, syntax errors, and that
 * one bad document fails the whole file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from './parse.ts';
import { BadParameterError } from '../errors.ts';

const twoDocs = [
  'kind: user',
  'metadata: {name: alice}',
  'spec: {roles: [access]}',
  '---',
  'kind: role',
  'metadata: {name: dev}',
  'spec:',
  '  allow: {logins: [dev]}',
  '---',
].join('\n');

describe('parseResources', () => {
  it('reads every document of a multi-document YAML file (empty documents skipped)', () => {
    const rs = parseResources(twoDocs, 'x.yaml');
    assert.deepEqual(rs.map((r) => `${r.kind}/${r.metadata.name}`), ['user/alice', 'role/dev']);
  });

  it('reads a JSON object', () => {
    const rs = parseResources('{"kind":"user","version":"v2","metadata":{"name":"bob"},"spec":{"roles":["a"]}}', 'u.json');
    assert.equal(rs[0]?.metadata.name, 'bob');
  });

  it('reads a JSON array as printed by tctl get --format=json, locating errors inside it', () => {
    const text = '[\n  {"kind": "user", "metadata": {"name": "a"}, "spec": {"roles": ["r"]}},\n  {"kind": "user", "metadata": {"name": "b"},\n   "spec": {"roles": [1]}}\n]\n';
    assert.throws(() => parseResources(text, 'all.json'), { message: 'all.json:4: spec.roles[0]: expected a string, got a number' });
    assert.equal(parseResources(text.replace('[1]', '["x"]'), 'all.json').length, 2);
  });

  it('fails the whole file when any document is invalid (nothing partial)', () => {
    const bad = `${twoDocs}\nkind: token\nmetadata: {name: t}\nspec: {roles: [Nope]}\n`;
    assert.throws(() => parseResources(bad, 'x.yaml'), { message: /^x\.yaml:12: spec\.roles\[0\]: unknown system role "Nope"/ });
  });

  it('reports YAML syntax errors with file:line:col', () => {
    assert.throws(() => parseResources('kind: role\nmetadata:\n  name: [dev\n', 'bad.yaml'), (err: unknown) => {
      assert.ok(err instanceof BadParameterError);
      assert.match(err.message, /^bad\.yaml:\d+:\d+: invalid YAML: /);
      return true;
    });
  });

  it('rejects duplicate keys in a map', () => {
    assert.throws(() => parseResources('kind: user\nkind: role\n', 'dup.yaml'), { message: /^dup\.yaml:2:1: invalid YAML: Map keys must be unique/ });
  });

  it('rejects the same resource twice in one file', () => {
    const text = 'kind: user\nmetadata: {name: a}\nspec: {roles: [r]}\n---\nkind: user\nmetadata: {name: a}\nspec: {roles: [r]}\n';
    assert.throws(() => parseResources(text, 'd.yaml'), { message: 'd.yaml:6: user/a is defined twice (first at d.yaml:2)' });
  });

  it('rejects a file with no resources', () => {
    assert.throws(() => parseResources('# nothing\n', 'e.yaml'), { message: 'e.yaml: no resources found' });
  });
});
