/**
 * Table tests for trait templates and their application to roles.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newRole } from '@teleport-ts/api/types/validation';
import { applyTraitsToRole, interpolate, interpolateLabels } from './traits.ts';

const traits = {
  logins: ['alice', 'root'],
  db_users: ['reader'],
  db_names: ['orders'],
  kubernetes_groups: ['system:masters'],
  kubernetes_users: ['alice@example.com'],
  windows_logins: ['Administrator'],
  email: ['Alice@Example.com', 'Alice Smith <alice.smith@corp.io>'],
  groups: ['admin-db', 'admin-web', 'devs'],
  env: ['staging'],
  empty: [],
  'http://idp/claims/role': ['ops'],
};

describe('interpolate', () => {
  const cases: Array<[string, string[]]> = [
    ['root', ['root']],
    ['{{internal.logins}}', ['alice', 'root']],
    ['{{ internal.logins }}', ['alice', 'root']],
    ['{{internal["logins"]}}', ['alice', 'root']],
    ['{{internal.db_users}}', ['reader']],
    ['{{internal.db_names}}', ['orders']],
    ['{{internal.kubernetes_groups}}', ['system:masters']],
    ['{{internal.kubernetes_users}}', ['alice@example.com']],
    ['{{external.groups}}', ['admin-db', 'admin-web', 'devs']],
    ['{{external["http://idp/claims/role"]}}', ['ops']],
    ['ssh-{{internal.logins}}', ['ssh-alice', 'ssh-root']],
    ['{{internal.logins}}@corp', ['alice@corp', 'root@corp']],
    ['{{email.local(external.email)}}', ['Alice', 'alice.smith']],
    ['{{strings.lower(email.local(external.email))}}', ['alice', 'alice.smith']],
    ['{{strings.upper(external.env)}}', ['STAGING']],
    ['{{regexp.replace(external.groups, "^admin-(.*)$", "$1")}}', ['db', 'web']],
    ['{{regexp.replace(external.groups, "^admin-(?P<x>.*)$", "team-${x}")}}', ['team-db', 'team-web']],
    ['{{external.missing}}', []],
    ['pre-{{external.missing}}', []],
    ['{{external.empty}}', []],
    ['{{internal.logins', []], // malformed: expands to nothing
  ];
  for (const [tpl, want] of cases) it(`${tpl} -> [${want.join(', ')}]`, () => assert.deepEqual(interpolate(tpl, traits), want));
});

describe('interpolateLabels', () => {
  it('expands values; values that expand to nothing stay as never-matching', () => {
    assert.deepEqual(
      interpolateLabels({ env: '{{external.env}}', team: ['{{external.missing}}'], tier: 'web', '*': '*' }, traits),
      { env: ['staging'], team: [], tier: ['web'], '*': ['*'] },
    );
  });
});

describe('applyTraitsToRole', () => {
  const role = newRole('t', {
    allow: {
      logins: ['{{internal.logins}}', '{{external.missing}}', 'ubuntu', '{{external.email}}'],
      db_users: ['{{internal.db_users}}'],
      db_names: ['{{internal.db_names}}', 'postgres'],
      db_roles: ['{{external.missing}}'],
      kubernetes_groups: ['{{internal.kubernetes_groups}}'],
      kubernetes_users: ['{{internal.kubernetes_users}}'],
      windows_desktop_logins: ['{{internal.windows_logins}}'],
      node_labels: { env: '{{external.env}}' },
      db_labels: { env: ['{{external.env}}', 'dev'] },
    },
    deny: { logins: ['{{external.groups}}'], node_labels: { env: '{{external.missing}}' } },
  });
  const out = applyTraitsToRole(role, traits);

  it('substitutes every templated list; empty lists are removed', () => {
    // "Alice Smith <...>" is not a valid unix login and is dropped, like upstream.
    assert.deepEqual(out.spec.allow?.logins, ['alice', 'root', 'ubuntu', 'Alice@Example.com']);
    assert.deepEqual(out.spec.allow?.db_users, ['reader']);
    assert.deepEqual(out.spec.allow?.db_names, ['orders', 'postgres']);
    assert.equal(out.spec.allow?.db_roles, undefined);
    assert.deepEqual(out.spec.allow?.kubernetes_groups, ['system:masters']);
    assert.deepEqual(out.spec.allow?.kubernetes_users, ['alice@example.com']);
    assert.deepEqual(out.spec.allow?.windows_desktop_logins, ['Administrator']);
    assert.deepEqual(out.spec.deny?.logins, ['admin-db', 'admin-web', 'devs']);
  });

  it('substitutes label values', () => {
    assert.deepEqual(out.spec.allow?.node_labels, { env: ['staging'] });
    assert.deepEqual(out.spec.allow?.db_labels, { env: ['staging', 'dev'] });
    assert.deepEqual(out.spec.deny?.node_labels, { env: [] });
  });

  it('leaves the input role untouched', () => {
    assert.deepEqual(role.spec.allow?.logins, ['{{internal.logins}}', '{{external.missing}}', 'ubuntu', '{{external.email}}']);
    assert.equal(out.spec.options?.max_session_ttl, '30h0m0s');
  });
});
