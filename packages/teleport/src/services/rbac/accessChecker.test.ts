/**
 * Table tests for AccessChecker: server access (allow, deny-wins, labels, trait logins), rules
 * (verbs, wildcards, where clauses), database access, and how options of several roles merge.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import type { Role, RoleSpec } from '@teleport-ts/api/types/role';
import { newRole } from '@teleport-ts/api/types/validation';
import { presetAccessRole, presetAuditorRole, presetEditorRole } from '@teleport-ts/api/types/presets';
import { AccessChecker, type ServerTarget } from './accessChecker.ts';

const r = (name: string, spec: RoleSpec): Role => newRole(name, spec);
const prod: ServerTarget = { name: 'node1', labels: { env: 'prod', team: 'db' } };
const dev: ServerTarget = { name: 'node2', labels: { env: 'dev' } };
const bare: ServerTarget = { name: 'node3', labels: {} };

/** Returns the AccessDeniedError message, or "ok". */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof AccessDeniedError, `unexpected error ${String(err)}`);
    return err.message;
  }
}

describe('checkAccessToServer', () => {
  const devRole = r('dev', { allow: { logins: ['alice'], node_labels: { env: 'dev' } } });
  const all = r('all', { allow: { logins: ['root', 'alice'], node_labels: { '*': '*' } } });
  const cases: Array<{ name: string; roles: Role[]; traits?: Record<string, string[]>; login: string; server: ServerTarget; want: string }> = [
    { name: 'allowed by matching labels and login', roles: [devRole], login: 'alice', server: dev, want: 'ok' },
    { name: 'login not in role', roles: [devRole], login: 'root', server: dev,
      want: "access denied to root@node2: role 'dev' allows logins [alice]" },
    { name: 'labels do not match', roles: [devRole], login: 'alice', server: prod,
      want: `access denied to alice@node1: role 'dev' node_labels do not match (label env is "prod", want dev)` },
    { name: 'server without labels vs selector', roles: [devRole], login: 'alice', server: bare,
      want: `access denied to alice@node3: role 'dev' node_labels do not match (resource has no label "env")` },
    { name: 'wildcard matches a server without labels', roles: [all], login: 'root', server: bare, want: 'ok' },
    { name: 'role without node_labels grants nothing', roles: [r('nolabels', { allow: { logins: ['root'] } })], login: 'root', server: bare,
      want: "access denied to root@node3: role 'nolabels' has no node_labels" },
    { name: 'no roles', roles: [], login: 'root', server: bare, want: 'access denied to root@node3: you have no roles' },
    { name: 'any allowing role is enough', roles: [devRole, all], login: 'root', server: dev, want: 'ok' },
    { name: 'deny labels win over allow', roles: [all, r('x', { deny: { node_labels: { env: 'prod' } } })], login: 'root', server: prod,
      want: "access denied to root@node1: denied by role 'x' (node_labels env=prod)" },
    { name: 'deny login wins whatever the labels', roles: [all, r('noroot', { deny: { logins: ['root'] } })], login: 'root', server: dev,
      want: `access denied to root@node2: login "root" is denied by role 'noroot'` },
    { name: 'deny of another login does not block', roles: [all, r('noroot', { deny: { logins: ['root'] } })], login: 'alice', server: dev, want: 'ok' },
    { name: 'deny labels not matching do not block', roles: [all, r('x', { deny: { node_labels: { env: 'prod' } } })], login: 'root', server: dev, want: 'ok' },
    { name: 'deny wildcard blocks everything', roles: [all, r('lockdown', { deny: { node_labels: { '*': '*' } } })], login: 'alice', server: bare,
      want: "access denied to alice@node3: denied by role 'lockdown' (node_labels *=*)" },
    { name: 'trait logins', roles: [presetAccessRole()], traits: { logins: ['bob'] }, login: 'bob', server: prod, want: 'ok' },
    { name: 'trait logins: other login denied', roles: [presetAccessRole()], traits: { logins: ['bob'] }, login: 'root', server: prod,
      want: "access denied to root@node1: role 'access' allows logins [bob]" },
    { name: 'no traits: access role has no logins', roles: [presetAccessRole()], login: 'root', server: prod,
      want: "access denied to root@node1: role 'access' allows no logins" },
    { name: 'trait label values', roles: [r('t', { allow: { logins: ['a'], node_labels: { env: '{{external.env}}' } } })], traits: { env: ['prod', 'dev'] }, login: 'a', server: dev, want: 'ok' },
    { name: 'missing trait in label selects nothing', roles: [r('t', { allow: { logins: ['a'], node_labels: { env: '{{external.env}}' } } })], login: 'a', server: dev,
      want: `access denied to a@node2: role 't' node_labels do not match (label env is "dev", want one of [])` },
    { name: 'reasons from several roles', roles: [devRole, r('ops', { allow: { logins: ['ops'], node_labels: { team: 'ops' } } })], login: 'root', server: dev,
      want: `access denied to root@node2: role 'dev' allows logins [alice]; role 'ops' node_labels do not match (resource has no label "team")` },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const checker = new AccessChecker(c.roles, c.traits ?? {});
      assert.equal(outcome(() => checker.checkAccessToServer(c.login, c.server)), c.want);
      assert.equal(checker.canAccessServer(c.login, c.server), c.want === 'ok');
    });
  }
});

describe('logins', () => {
  const roles = [
    r('a', { allow: { logins: ['alice', 'root'], node_labels: { env: 'dev' } } }),
    r('b', { allow: { logins: ['{{internal.logins}}'], node_labels: { env: 'prod' } } }),
    r('c', { deny: { logins: ['root'], node_labels: { team: 'secret' } } }),
  ];
  const checker = new AccessChecker(roles, { logins: ['bob'] });
  it('allowedLogins: union of allow logins minus denied', () => assert.deepEqual(checker.allowedLogins(), ['alice', 'bob']));
  it('loginsFor: only roles whose labels match', () => {
    assert.deepEqual(checker.loginsFor({ env: 'dev' }), ['alice']);
    assert.deepEqual(checker.loginsFor({ env: 'prod' }), ['bob']);
    assert.deepEqual(checker.loginsFor({ env: 'prod', team: 'secret' }), []);
    assert.deepEqual(checker.loginsFor(), ['alice', 'bob']);
  });
  it('hasLoginsFor: some login of loginsFor is allowed', () => {
    assert.equal(checker.hasLoginsFor({ env: 'dev' }), true);
    assert.equal(checker.hasLoginsFor({ env: 'prod' }), true);
    assert.equal(checker.hasLoginsFor({ env: 'prod', team: 'secret' }), false);
    assert.equal(checker.hasLoginsFor({ env: 'stage' }), false);
  });
});

describe('hasLoginsFor agrees with loginsFor + canAccessServer (what tsh ls used to compute per node)', () => {
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pick = <T>(xs: T[]): T => xs[rnd(xs.length)] as T;
  const selectors = [undefined, {}, { '*': '*' }, { env: 'prod' }, { env: ['dev', 'prod'] }, { env: '*' }, { team: 'd*' }, { env: '^(dev|qa)$', team: '*' }];
  const logins = [[], ['root'], ['alice', 'root'], ['{{internal.logins}}'], ['bob']];
  const conditions = (): RoleSpec['allow'] => ({
    ...(rnd(3) > 0 && { logins: pick(logins) }),
    ...(rnd(3) > 0 && { node_labels: pick(selectors) as Record<string, string> }),
  });
  const labelSets: Array<Record<string, string>> = [{}, { env: 'prod' }, { env: 'dev', team: 'db' }, { env: 'qa', team: 'ops' }, { team: 'db' }];
  it('on random role sets and label sets', () => {
    for (let i = 0; i < 500; i++) {
      const roles = Array.from({ length: rnd(4) }, (_, j) => r(`r${j}`, { allow: conditions(), ...(rnd(3) === 0 && { deny: conditions() }) }));
      const checker = new AccessChecker(roles, rnd(2) ? { logins: ['bob', 'root'] } : {});
      for (const labels of labelSets) {
        const old = checker.loginsFor(labels).some((login) => checker.canAccessServer(login, { name: 'n', labels }));
        assert.equal(checker.hasLoginsFor(labels), old, `${JSON.stringify(roles.map((x) => x.spec))} on ${JSON.stringify(labels)}`);
      }
    }
  });
});

describe('rules', () => {
  const cases: Array<{ name: string; roles: Role[]; kind: string; verb: string; ctx?: Record<string, unknown>; want: string }> = [
    { name: 'explicit verb', roles: [r('a', { allow: { rules: [{ resources: ['role'], verbs: ['list', 'read'] }] } })], kind: 'role', verb: 'read', want: 'ok' },
    { name: 'verb not granted', roles: [r('a', { allow: { rules: [{ resources: ['role'], verbs: ['list', 'read'] }] } })], kind: 'role', verb: 'create',
      want: 'access denied: your roles (a) do not allow "create" on "role"; ask an administrator for a role with the rule {resources: [role], verbs: [create]}' },
    { name: 'verb wildcard', roles: [r('a', { allow: { rules: [{ resources: ['user'], verbs: ['*'] }] } })], kind: 'user', verb: 'delete', want: 'ok' },
    { name: 'resource wildcard', roles: [r('a', { allow: { rules: [{ resources: ['*'], verbs: ['list'] }] } })], kind: 'token', verb: 'list', want: 'ok' },
    { name: 'read covers readnosecrets', roles: [r('a', { allow: { rules: [{ resources: ['cert_authority'], verbs: ['read'] }] } })], kind: 'cert_authority', verb: 'readnosecrets', want: 'ok' },
    { name: 'readnosecrets does not cover read', roles: [presetEditorRole()], kind: 'cert_authority', verb: 'read',
      want: 'access denied: your roles (editor) do not allow "read" on "cert_authority"; ask an administrator for a role with the rule {resources: [cert_authority], verbs: [read]}' },
    { name: 'deny wins', roles: [r('admin', { allow: { rules: [{ resources: ['*'], verbs: ['*'] }] } }), r('nodel', { deny: { rules: [{ resources: ['user'], verbs: ['delete'] }] } })], kind: 'user', verb: 'delete',
      want: `access denied: role 'nodel' denies "delete" on "user"` },
    { name: 'deny wildcard resource', roles: [presetEditorRole(), r('ro', { deny: { rules: [{ resources: ['*'], verbs: ['create', 'update', 'delete'] }] } })], kind: 'role', verb: 'update',
      want: `access denied: role 'ro' denies "update" on "role"` },
    { name: 'deny does not touch other verbs', roles: [presetEditorRole(), r('ro', { deny: { rules: [{ resources: ['*'], verbs: ['delete'] }] } })], kind: 'role', verb: 'read', want: 'ok' },
    { name: 'no roles', roles: [], kind: 'role', verb: 'list',
      want: 'access denied: your roles (none) do not allow "list" on "role"; ask an administrator for a role with the rule {resources: [role], verbs: [list]}' },
    { name: 'where holds', roles: [presetAccessRole()], kind: 'session', verb: 'read',
      ctx: { user: { metadata: { name: 'alice' } }, session: { participants: ['alice', 'bob'] } }, want: 'ok' },
    { name: 'where does not hold', roles: [presetAccessRole()], kind: 'session', verb: 'read',
      ctx: { user: { metadata: { name: 'carol' } }, session: { participants: ['alice'] } },
      want: `access denied: your roles (access) do not allow "read" on "session" (role 'access' allows it only where contains(session.participants, user.metadata.name)); ask an administrator for a role with the rule {resources: [session], verbs: [read]}` },
    { name: 'where without context fails closed', roles: [presetAccessRole()], kind: 'session', verb: 'list',
      want: `access denied: your roles (access) do not allow "list" on "session" (role 'access' allows it only where contains(session.participants, user.metadata.name)); ask an administrator for a role with the rule {resources: [session], verbs: [list]}` },
    { name: 'auditor reads every session', roles: [presetAuditorRole()], kind: 'session', verb: 'list', want: 'ok' },
    { name: 'conditional deny applies when it holds', roles: [presetAuditorRole(), r('x', { deny: { rules: [{ resources: ['session'], verbs: ['read'], where: 'equals(session.login, "root")' }] } })],
      kind: 'session', verb: 'read', ctx: { session: { login: 'root' } }, want: `access denied: role 'x' denies "read" on "session"` },
    { name: 'conditional deny skipped when it does not hold', roles: [presetAuditorRole(), r('x', { deny: { rules: [{ resources: ['session'], verbs: ['read'], where: 'equals(session.login, "root")' }] } })],
      kind: 'session', verb: 'read', ctx: { session: { login: 'alice' } }, want: 'ok' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const checker = new AccessChecker(c.roles);
      assert.equal(outcome(() => checker.checkAccessToRule(c.kind, c.verb, c.ctx)), c.want);
      assert.equal(checker.canAccessRule(c.kind, c.verb, c.ctx), c.want === 'ok');
    });
  }

  it('guessAccessToRule assumes allow clauses hold and ignores conditional denies', () => {
    assert.equal(new AccessChecker([presetAccessRole()]).guessAccessToRule('session', 'list'), true);
    assert.equal(new AccessChecker([presetAccessRole()]).guessAccessToRule('role', 'list'), false);
    const x = r('x', { deny: { rules: [{ resources: ['session'], verbs: ['list'], where: 'equals(session.login, "root")' }] } });
    assert.equal(new AccessChecker([presetAuditorRole(), x]).guessAccessToRule('session', 'list'), true);
  });
});

describe('checkAccessToDatabase', () => {
  const dbRole = r('dev', { allow: { db_labels: { env: 'dev' }, db_users: ['{{internal.db_users}}', 'reader'], db_names: ['app', 'orders'] } });
  const any = r('any', { allow: { db_labels: { '*': '*' }, db_users: ['*'], db_names: ['*'] } });
  const globs = r('globs', { allow: { db_labels: { env: 'dev' }, db_users: ['svc-*', '^ro_[a-z]+$'], db_names: ['app_*'] } });
  const devDB = { name: 'pg', labels: { env: 'dev' }, protocol: 'postgres' };
  const prodDB = { name: 'pg-prod', labels: { env: 'prod' }, protocol: 'postgres' };
  const myDB = { name: 'maria', labels: { env: 'dev' }, protocol: 'mysql' };
  const cases: Array<{ name: string; roles: Role[]; db: typeof devDB; user: string; dbName: string; want: string }> = [
    { name: 'trait user and allowed name', roles: [dbRole], db: devDB, user: 'alice', dbName: 'orders', want: 'ok' },
    { name: 'literal user', roles: [dbRole], db: devDB, user: 'reader', dbName: 'app', want: 'ok' },
    { name: 'user not allowed', roles: [dbRole], db: devDB, user: 'postgres', dbName: 'app',
      want: "access to db user 'postgres' denied: no role allows db user 'postgres' on db 'pg' (allowed: alice, reader)" },
    { name: 'name not allowed', roles: [dbRole], db: devDB, user: 'reader', dbName: 'prod',
      want: "access to database 'prod' denied: no role allows db name 'prod' on db 'pg' (allowed: app, orders)" },
    { name: 'labels do not match', roles: [dbRole], db: prodDB, user: 'reader', dbName: 'app',
      want: "access to db 'pg-prod' denied: no role's db_labels match (roles: dev)" },
    { name: 'no roles', roles: [], db: prodDB, user: 'reader', dbName: 'app',
      want: "access to db 'pg-prod' denied: no role's db_labels match (roles: none)" },
    { name: 'no db user', roles: [any], db: devDB, user: '', dbName: 'app',
      want: "access to db 'pg' denied: no database user given; pass one (tsh db login --db-user=<user>)" },
    { name: 'wildcard users and names', roles: [any], db: prodDB, user: 'postgres', dbName: 'x', want: 'ok' },
    { name: 'glob user', roles: [globs], db: devDB, user: 'svc-billing', dbName: 'app_1', want: 'ok' },
    { name: 'regex user', roles: [globs], db: devDB, user: 'ro_reports', dbName: 'app_2', want: 'ok' },
    { name: 'regex is anchored', roles: [globs], db: devDB, user: 'ro_reports2', dbName: 'app_2',
      want: "access to db user 'ro_reports2' denied: no role allows db user 'ro_reports2' on db 'pg' (allowed: svc-*, ^ro_[a-z]+$)" },
    { name: 'user from one role, name from another', roles: [dbRole, globs], db: devDB, user: 'svc-x', dbName: 'orders',
      want: "access to database 'orders' as db user 'svc-x' denied: no single role allows both on db 'pg' (db name 'orders' is allowed with db users alice, reader)" },
    { name: 'mysql: empty db name needs no db_names', roles: [dbRole], db: myDB, user: 'reader', dbName: '', want: 'ok' },
    { name: 'mysql: a named db is still checked', roles: [dbRole], db: myDB, user: 'reader', dbName: 'mysql',
      want: "access to database 'mysql' denied: no role allows db name 'mysql' on db 'maria' (allowed: app, orders)" },
    { name: 'postgres: empty db name is checked', roles: [dbRole], db: devDB, user: 'reader', dbName: '',
      want: "access to database '' denied: no role allows db name '' on db 'pg' (allowed: app, orders)" },
    { name: 'deny user wins', roles: [any, r('dev2', { deny: { db_users: ['postgres'] } })], db: prodDB, user: 'postgres', dbName: 'x',
      want: "access to db user 'postgres' denied by role dev2" },
    { name: 'deny user glob with labels', roles: [any, r('nosu', { deny: { db_labels: { env: 'prod' }, db_users: ['post*'] } })],
      db: prodDB, user: 'postgres', dbName: 'x', want: "access to db user 'postgres' denied by role nosu" },
    { name: 'deny user on other labels does not apply', roles: [any, r('nosu', { deny: { db_labels: { env: 'prod' }, db_users: ['postgres'] } })],
      db: devDB, user: 'postgres', dbName: 'x', want: 'ok' },
    { name: 'deny labels with users spares other users', roles: [any, r('nosu', { deny: { db_labels: { env: 'prod' }, db_users: ['postgres'] } })],
      db: prodDB, user: 'alice', dbName: 'x', want: 'ok' },
    { name: 'deny whole db by labels', roles: [any, r('noprod', { deny: { db_labels: { env: 'prod' } } })], db: prodDB, user: 'alice', dbName: 'x',
      want: "access to db 'pg-prod' denied by role noprod (deny db_labels env=prod)" },
    { name: 'deny name wildcard', roles: [any, r('nonames', { deny: { db_names: ['*'] } })], db: devDB, user: 'alice', dbName: 'app',
      want: "access to database 'app' denied by role nonames" },
    { name: 'deny traits expand too', roles: [any, r('notrait', { deny: { db_users: ['{{internal.db_users}}'] } })], db: devDB, user: 'alice', dbName: 'app',
      want: "access to db user 'alice' denied by role notrait" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const checker = new AccessChecker(c.roles, { db_users: ['alice'] });
      assert.equal(outcome(() => checker.checkAccessToDatabase(c.db, c.user, c.dbName)), c.want);
    });
  }

  it('lists users and names for a database', () => {
    const checker = new AccessChecker([dbRole], { db_users: ['alice'] });
    assert.deepEqual(checker.databaseUsersFor(devDB.labels), ['alice', 'reader']);
    assert.deepEqual(checker.databaseNamesFor(prodDB.labels), []);
  });

  it('databaseVisible follows db_labels and whole-database denies', () => {
    assert.equal(new AccessChecker([dbRole]).databaseVisible(devDB), true);
    assert.equal(new AccessChecker([dbRole]).databaseVisible(prodDB), false);
    assert.equal(new AccessChecker([any, r('noprod', { deny: { db_labels: { env: 'prod' } } })]).databaseVisible(prodDB), false);
    // A deny of one user on prod still lists prod: other users may connect.
    assert.equal(new AccessChecker([any, r('nosu', { deny: { db_labels: { env: 'prod' }, db_users: ['postgres'] } })]).databaseVisible(prodDB), true);
    assert.equal(new AccessChecker([]).databaseVisible(devDB), false);
  });
});
describe('apps, kubernetes, desktops', () => {
  const checker = new AccessChecker([presetAccessRole(), r('nok', { deny: { kubernetes_groups: ['system:masters'] } })],
    { kubernetes_groups: ['system:masters', 'viewers'], kubernetes_users: ['alice'], windows_logins: ['Administrator'] });
  it('access role reaches any app and cluster', () => {
    assert.equal(outcome(() => checker.checkAccessToApp({ name: 'grafana', labels: {} })), 'ok');
    assert.equal(outcome(() => checker.checkAccessToKubeCluster({ name: 'k8s' })), 'ok');
  });
  it('kube identities exclude denied groups', () => {
    assert.deepEqual(checker.kubeIdentitiesFor({}), { groups: ['viewers'], users: ['alice'] });
  });
  it('desktop logins come from windows_logins', () => {
    assert.equal(outcome(() => checker.checkAccessToDesktop({ name: 'win1' }, 'Administrator')), 'ok');
    assert.equal(outcome(() => checker.checkAccessToDesktop({ name: 'win1' }, 'Guest')),
      "access denied to Guest@win1: role 'access' allows windows_desktop_logins [Administrator]; role 'nok' has no windows_desktop_labels");
  });
});

describe('option merging', () => {
  const H = 3_600_000;
  const ttl = (t: string): Role => r(`ttl-${t}`, { options: { max_session_ttl: t } });
  const ttlCases: Array<{ name: string; roles: Role[]; requested: number; want: number }> = [
    { name: 'request below the cap', roles: [ttl('8h')], requested: 2 * H, want: 2 * H },
    { name: 'request above the cap', roles: [ttl('8h')], requested: 12 * H, want: 8 * H },
    { name: 'shortest role wins', roles: [ttl('8h'), ttl('1h'), ttl('30h')], requested: 12 * H, want: 1 * H },
    { name: 'default 30h', roles: [newRole('plain', {})], requested: 100 * H, want: 30 * H },
    { name: 'unvalidated role without options: 30h', roles: [{ kind: 'role', version: 'v7', metadata: { name: 'raw' }, spec: {} }], requested: 100 * H, want: 30 * H },
    { name: 'zero means the maximum', roles: [ttl('4h')], requested: 0, want: 4 * H },
  ];
  for (const c of ttlCases) {
    it(`TTL: ${c.name}`, () => assert.equal(new AccessChecker(c.roles).adjustSessionTTL(c.requested), c.want));
  }

  const on = (name: string, options: RoleSpec['options']): Role => r(name, { options: options ?? {} });
  const flagCases: Array<{ name: string; roles: Role[]; check: (c: AccessChecker) => boolean; want: boolean }> = [
    { name: 'agent forwarding off by default', roles: [on('a', {})], check: (c) => c.canForwardAgents(), want: false },
    { name: 'agent forwarding: any role (OR)', roles: [on('a', {}), on('b', { forward_agent: true })], check: (c) => c.canForwardAgents(), want: true },
    { name: 'port forwarding on by default', roles: [on('a', {})], check: (c) => c.canPortForward(), want: true },
    { name: 'port forwarding: OR', roles: [on('a', { port_forwarding: false }), on('b', { port_forwarding: true })], check: (c) => c.canPortForward(), want: true },
    { name: 'port forwarding: all off', roles: [on('a', { port_forwarding: false }), on('b', { port_forwarding: false })], check: (c) => c.canPortForward(), want: false },
    { name: 'ssh_port_forwarding overrides per direction (remote off)', roles: [on('a', { port_forwarding: true, ssh_port_forwarding: { remote: { enabled: false } } })], check: (c) => c.canPortForward('remote'), want: false },
    { name: 'ssh_port_forwarding: local still on', roles: [on('a', { ssh_port_forwarding: { remote: { enabled: false } } })], check: (c) => c.canPortForward('local'), want: true },
    { name: 'ssh_port_forwarding: both off', roles: [on('a', { ssh_port_forwarding: { local: { enabled: false }, remote: { enabled: false } } })], check: (c) => c.canPortForward(), want: false },
    { name: 'file copy on by default', roles: [on('a', {}), on('b', {})], check: (c) => c.canCopyFiles(), want: true },
    { name: 'file copy: every role (AND)', roles: [on('a', { ssh_file_copy: true }), on('b', { ssh_file_copy: false })], check: (c) => c.canCopyFiles(), want: false },
    { name: 'X11 off by default', roles: [on('a', {})], check: (c) => c.canX11Forward(), want: false },
    { name: 'X11: OR', roles: [on('a', {}), on('b', { permit_x11_forwarding: true })], check: (c) => c.canX11Forward(), want: true },
    { name: 'session MFA: OR', roles: [on('a', {}), on('b', { require_session_mfa: true })], check: (c) => c.requireSessionMFA(), want: true },
  ];
  for (const c of flagCases) it(c.name, () => assert.equal(c.check(new AccessChecker(c.roles)), c.want));

  it('recording: strictest wins; ssh overrides default', () => {
    assert.deepEqual(new AccessChecker([on('a', {})]).recordSession(), { ssh: 'best_effort', desktop: true });
    assert.deepEqual(new AccessChecker([on('a', {}), on('b', { record_session: { default: 'strict' } })]).recordSession().ssh, 'strict');
    assert.deepEqual(new AccessChecker([on('a', { record_session: { default: 'strict', ssh: 'best_effort' } })]).recordSession().ssh, 'best_effort');
    assert.equal(new AccessChecker([presetEditorRole(), presetAuditorRole()]).recordSession().desktop, false);
  });

  it('limits: lowest non-zero wins', () => {
    const c = new AccessChecker([on('a', { max_connections: 10, client_idle_timeout: '30m' }), on('b', { max_connections: 3, client_idle_timeout: '0s' }), on('c', {})]);
    assert.equal(c.maxConnections(), 3);
    assert.equal(c.maxSessions(), undefined);
    assert.equal(c.clientIdleTimeoutMs(), 30 * 60_000);
  });

  it('roleNames keeps order', () => {
    assert.deepEqual(new AccessChecker([presetEditorRole(), presetAccessRole()]).roleNames(), ['editor', 'access']);
  });
});
