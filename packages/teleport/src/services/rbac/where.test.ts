/**
 * Table tests for evaluating where clauses.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchWhere } from './where.ts';

const ctx = {
  user: { metadata: { name: 'alice' }, spec: { roles: ['access'], traits: { team: ['db'] } } },
  session: { participants: ['alice', 'bob'], login: 'root' },
  resource: { metadata: { labels: { env: 'prod' } } },
};

describe('matchWhere', () => {
  const cases: Array<[string, boolean]> = [
    ['contains(session.participants, user.metadata.name)', true],
    ['contains(session.participants, "carol")', false],
    ['contains(session.missing, "alice")', false],
    ['equals(resource.metadata.labels["env"], "prod")', true],
    ['equals(resource.metadata.labels["team"], "")', true], // missing compares as empty
    ['!equals(session.login, "root")', false],
    ['equals(session.login, "root") && contains(user.spec.roles, "access")', true],
    ['equals(session.login, "alice") || contains(user.spec.traits["team"], "db")', true],
    ['(false || true) && !false', true],
    ['user.metadata.name == "alice"', true],
    ['user.metadata.name != "alice"', false],
    ['user.metadata', false], // not a boolean
  ];
  for (const [expr, want] of cases) it(`${expr} -> ${want}`, () => assert.equal(matchWhere(expr, ctx), want));

  it('throws on a malformed clause (callers fail closed)', () => {
    assert.throws(() => matchWhere('contains(', ctx), /invalid where clause/);
    assert.throws(() => matchWhere('contains(', ctx), /invalid where clause/); // cached error rethrown
  });
});
