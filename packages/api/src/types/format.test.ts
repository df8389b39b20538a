/**
 * Tests for formatResourcesYAML / formatResourcesJSON: upstream key order, `---` separators,
 * and output that parses back to the same resources.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalResource, formatResourcesJSON, formatResourcesYAML } from './format.ts';
import type { Resource } from './resource.ts';
import { parseResources } from './parse.ts';
import { newRole, newUser } from './validation.ts';

describe('format', () => {
  const user = newUser('alice', ['access'], { logins: ['alice'] });
  user.metadata.revision = 'r1';
  const role = newRole('dev', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });

  it('YAML: kind, version, metadata, spec order and --- between documents', () => {
    const out = formatResourcesYAML([user, role]);
    const docs = out.split(/^---$/m);
    assert.equal(docs.length, 2);
    assert.match(docs[0] as string, /^kind: user\nversion: v2\nmetadata:\n {2}name: alice\n {2}revision: r1\nspec:\n/);
    assert.match(docs[1] as string, /^\nkind: role\nversion: v7\nmetadata:\n {2}name: dev\nspec:\n {2}options:/);
    assert.match(out, /'\{\{internal\.logins\}\}'/);
    assert.match(out, /'\*': '\*'/);
  });

  it('YAML round-trips through parseResources', () => {
    const back = parseResources(formatResourcesYAML([user, role]), 'out.yaml');
    assert.deepEqual(back, [user, role]);
  });

  it('JSON: an array with 4-space indent that round-trips', () => {
    const out = formatResourcesJSON([user, role]);
    assert.match(out, /^\[\n {4}\{\n {8}"kind": "user",\n {8}"version": "v2",/);
    assert.deepEqual(parseResources(out, 'out.json'), [user, role]);
  });

  it('JSON: the same text as stringifying the canonical copies (undefined values, odd keys, dates)', () => {
    const odd = {
      kind: 'node', version: 'v2', extra: undefined, spec: { a: undefined, '10': 'x', b: [1, undefined, -0], d: new Date(0), s: 'lone \ud800' },
      metadata: { labels: { z: '1', '2': 'two' }, name: 'n', expires: undefined, revision: 'r' },
    } as unknown as Resource;
    for (const list of [[user, role], [odd], []]) {
      assert.equal(formatResourcesJSON(list), `${JSON.stringify(list.map(canonicalResource), null, 4)}\n`);
    }
  });

  it('sub_kind follows kind', () => {
    const out = formatResourcesYAML([{ kind: 'user_token', version: 'v2', spec: {}, metadata: { name: 't' }, sub_kind: 'invite' }]);
    assert.match(out, /^kind: user_token\nsub_kind: invite\nversion: v2\n/);
  });
});
