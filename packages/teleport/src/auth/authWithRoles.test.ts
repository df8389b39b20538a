/**
 * @module auth/authWithRoles.test
 * The authorization layer as a table: every kind of caller (system roles Admin, Proxy, Node; users
 * holding the access, editor and auditor presets) against every API operation, with the expected
 * allow or deny. Allowed calls must succeed outright; denied ones must fail with AccessDeniedError
 * before touching state. Plus the invariants that hold for everyone: CA reads carry no private keys,
 * and a role still assigned to users cannot be deleted.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError, BadParameterError } from '@teleport-ts/api/errors';
import type { Resource } from '@teleport-ts/api/types/resource';
import { newRole } from '@teleport-ts/api/types/validate/role';
import { newUser } from '@teleport-ts/api/types/validate/user';
import { newProvisionToken } from '@teleport-ts/api/types/validate/token';
import type { AuthWithRoles } from './authWithRoles.ts';
import { addUser, asBuiltin, asUser, newTestAuthServer, newTestKeys, type TestAuth } from './testAuthServer.ts';

const PASSWORD = 'correct horse battery staple';
const keys = newTestKeys();

const CALLERS = ['Admin', 'Proxy', 'Node', 'access', 'editor', 'auditor'] as const;
type Caller = (typeof CALLERS)[number];
/** Users named after the preset they hold. */
const USER_OF: Partial<Record<Caller, string>> = { access: 'ann', editor: 'ed', auditor: 'audrey' };

/** A cluster with the three preset users, bob (access, with a password) and an OTP-free login. */
async function cluster(): Promise<TestAuth> {
  const t = await newTestAuthServer({ secondFactor: 'off' });
  await addUser(t, 'ann', ['access'], { traits: { logins: ['ann'] } });
  await addUser(t, 'ed', ['editor']);
  await addUser(t, 'audrey', ['auditor']);
  await addUser(t, 'bob', ['access'], { traits: { logins: ['bob'] }, password: PASSWORD });
  return t;
}

async function as(t: TestAuth, caller: Caller): Promise<AuthWithRoles> {
  const user = USER_OF[caller];
  return user ? asUser(t, user) : asBuiltin(t, caller);
}

type Expect = 'allow' | 'deny' | null; // null: not meaningful for this caller
interface Op {
  name: string;
  /** Expected outcome for Admin, Proxy, Node, access, editor, auditor (in CALLERS order). */
  expect: [Expect, Expect, Expect, Expect, Expect, Expect];
  /** State the call needs, made with full rights before the call (so its audit events do not count). */
  prepare?(t: TestAuth, caller: Caller): Promise<string>;
  run(api: AuthWithRoles, t: TestAuth, caller: Caller, prepared: string): Promise<unknown>;
}

const A = 'allow';
const D = 'deny';
const ADMIN_AND_EDITOR: Op['expect'] = [A, D, D, D, A, D];
const SERVICES_AND_EDITOR: Op['expect'] = [A, A, A, D, A, D];

const role = (name: string) => newRole(name, { allow: { logins: ['guest'] } });

const OPS: Op[] = [
  { name: 'get user', expect: SERVICES_AND_EDITOR, run: (api) => api.getResource('user', 'bob') },
  { name: 'list users (alias "users")', expect: SERVICES_AND_EDITOR, run: (api) => api.listResources('users') },
  { name: 'create user', expect: ADMIN_AND_EDITOR, run: (api, _t, c) => api.createResource(newUser(`new-${c.toLowerCase()}`, ['access'])) },
  {
    name: 'upsert user', expect: ADMIN_AND_EDITOR,
    run: (api) => api.upsertResource(newUser('bob', ['access'], { logins: ['bob', 'admin'] })),
  },
  {
    name: 'delete user', expect: ADMIN_AND_EDITOR,
    prepare: async (t, c) => (await addUser(t, `gone-${c.toLowerCase()}`, ['access'])).metadata.name,
    run: (api, _t, _c, name) => api.deleteResource('user', name),
  },
  { name: 'get role', expect: SERVICES_AND_EDITOR, run: (api) => api.getResource('role', 'access') },
  { name: 'list roles', expect: SERVICES_AND_EDITOR, run: (api) => api.listResources('role') },
  { name: 'create role', expect: ADMIN_AND_EDITOR, run: (api, _t, c) => api.createResource(role(`r-${c.toLowerCase()}`)) },
  { name: 'upsert role', expect: ADMIN_AND_EDITOR, run: (api) => api.upsertResource(role('shared')) },
  {
    name: 'delete role', expect: ADMIN_AND_EDITOR,
    prepare: async (t, c) => (await t.services.access.createRole(role(`d-${c.toLowerCase()}`))).metadata.name,
    run: (api, _t, _c, name) => api.deleteResource('role', name),
  },
  {
    name: 'get join token', expect: [A, D, D, D, A, D],
    prepare: async (t, c) => (await t.services.provisioning.createToken(newProvisionToken(`tok-get-${c.toLowerCase()}`, ['Node']))).metadata.name,
    run: (api, _t, _c, name) => api.getResource('token', name),
  },
  { name: 'create join token', expect: ADMIN_AND_EDITOR, run: (api, _t, c) => api.createResource(newProvisionToken(`tok-${c.toLowerCase()}`, ['Node'])) },
  { name: 'get cert_authority', expect: SERVICES_AND_EDITOR, run: (api) => api.getResource('cert_authority', 'host') },
  { name: 'list cert_authority (alias "cas")', expect: SERVICES_AND_EDITOR, run: (api) => api.listResources('cas') },
  { name: 'get cluster_auth_preference', expect: SERVICES_AND_EDITOR, run: (api) => api.getResource('cluster_auth_preference', '') },
  {
    name: 'upsert cluster_auth_preference', expect: ADMIN_AND_EDITOR,
    run: async (api, t) => api.upsertResource(await t.services.clusterConfig.getAuthPreference() as Resource),
  },
  {
    name: 'delete user_token', expect: ADMIN_AND_EDITOR,
    prepare: async (t) => (await t.auth.createUserToken({ user: 'bob', kind: 'invite' })).metadata.name,
    run: (api, _t, _c, id) => api.deleteResource('user_token', id),
  },
  { name: 'createUserToken', expect: ADMIN_AND_EDITOR, run: (api) => api.createUserToken({ user: 'bob', kind: 'invite' }) },
  {
    name: 'getUserToken (OTP secrets)', expect: [A, A, D, D, D, D],
    prepare: async (t) => (await t.auth.createUserToken({ user: 'ann', kind: 'invite' })).metadata.name,
    run: (api, _t, _c, id) => api.getUserToken(id),
  },
  {
    name: 'changePasswordWithToken', expect: [A, A, D, D, D, D],
    prepare: async (t) => (await t.auth.createUserToken({ user: 'ann', kind: 'invite' })).metadata.name,
    run: (api, _t, _c, tokenId) => api.changePasswordWithToken({ tokenId, password: PASSWORD }),
  },
  {
    name: 'authenticateSSHUser', expect: [A, A, D, D, D, D],
    run: (api) => api.authenticateSSHUser({ user: 'bob', password: PASSWORD, sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey }),
  },
  {
    name: 'generateUserCerts for self', expect: [null, D, D, A, A, A],
    run: (api) => api.generateUserCerts({ sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey }),
  },
  {
    name: 'generateUserCerts for another user', expect: [A, D, D, D, D, D],
    run: (api) => api.generateUserCerts({ username: 'bob', sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey }),
  },
  {
    name: 'generateHostCerts', expect: [A, D, D, D, D, D],
    run: (api) => api.generateHostCerts({ hostId: 'new-host', nodeName: 'n', role: 'Node', sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey }),
  },
  {
    name: 'searchEvents', expect: [A, D, D, A, A, A],
    run: (api, t) => api.searchEvents({ from: new Date(0), to: new Date(t.clock.nowMs() + 1000) }),
  },
  { name: 'emitAuditEvent', expect: [A, A, A, D, D, D], run: (api) => api.emitAuditEvent({ event: 'session.start', code: 'T2000I' }) },
  { name: 'getCertAuthorities', expect: [A, A, A, A, A, A], run: (api) => api.getCertAuthorities('') },
];

describe('AuthWithRoles: callers x operations', () => {
  for (const [i, caller] of CALLERS.entries()) {
    describe(`as ${caller}`, () => {
      let t: TestAuth;
      before(async () => {
        t = await cluster();
      });
      for (const op of OPS) {
        const expected = op.expect[i];
        if (!expected) continue;
        it(`${expected === 'allow' ? 'may' : 'may not'} ${op.name}`, async () => {
          const api = await as(t, caller);
          const prepared = (await op.prepare?.(t, caller)) ?? '';
          if (expected === 'allow') {
            await op.run(api, t, caller, prepared);
            return;
          }
          const eventsBefore = t.audit.all().length;
          await assert.rejects(op.run(api, t, caller, prepared), (err: unknown) => {
            assert.ok(err instanceof AccessDeniedError, `expected AccessDeniedError, got ${String(err)}`);
            assert.match(err.message, /access denied|may not/);
            return true;
          });
          assert.equal(t.audit.all().length, eventsBefore, 'a denied call changes nothing and emits nothing');
        });
      }
    });
  }
});

describe('AuthWithRoles invariants', () => {
  it('never returns CA private keys, to any caller, through any read', async () => {
    const t = await cluster();
    for (const caller of CALLERS) {
      const api = await as(t, caller);
      const reads: Array<() => Promise<unknown>> = [
        () => api.getCertAuthorities(''),
        () => api.getCertAuthorities('user'),
        () => api.listResources('cert_authority'),
        () => api.getResource('cert_authority', 'user'),
        () => api.getResource('cert_authority', 'host/example.com'),
        () => api.getResource('ca', 'db'),
      ];
      for (const read of reads) {
        let out: unknown;
        try {
          out = await read();
        } catch (err) {
          assert.ok(err instanceof AccessDeniedError, `${caller}: ${String(err)}`);
          continue;
        }
        const json = JSON.stringify(out);
        assert.ok(json.includes('BEGIN CERTIFICATE'), `${caller} got the public halves`);
        assert.doesNotMatch(json, /PRIVATE KEY|"private_key"|"key":/, `${caller} saw a private key`);
      }
    }
  });

  it('refuses to delete a role while users hold it, naming them', async () => {
    const t = await cluster();
    const api = asBuiltin(t, 'Admin');
    await assert.rejects(api.deleteResource('role', 'access'), (err: unknown) => {
      assert.ok(err instanceof BadParameterError);
      assert.match(err.message, /role 'access' is still assigned to users \(ann, bob\)/);
      assert.match(err.message, /tctl users update/);
      return true;
    });
    await t.services.access.getRole('access');
    for (const u of ['ann', 'bob']) await api.deleteResource('user', u);
    await api.deleteResource('role', 'access');
    const e = t.audit.all().find((x) => x.event === 'role.deleted');
    assert.equal(e?.code, 'T9001I');
    assert.equal(e.name, 'access');
  });

  it('lets a user with an impersonate rule on users issue certificates for others', async () => {
    const t = await cluster();
    await t.services.access.createRole(newRole('impersonator', { allow: { rules: [{ resources: ['user'], verbs: ['impersonate'] }] } }));
    await addUser(t, 'imp', ['impersonator']);
    const certs = await (await asUser(t, 'imp')).generateUserCerts({ username: 'bob', sshPublicKey: keys.sshPublicKey });
    assert.equal(certs.username, 'bob');
  });

  it('stamps service events with the caller and ignores forged uid/time/cluster_name', async () => {
    const t = await cluster();
    await asBuiltin(t, 'Node').emitAuditEvent({ event: 'session.start', code: 'T2000I', uid: 'forged', time: '1999-01-01T00:00:00Z', cluster_name: 'evil' });
    const e = t.audit.all().at(-1);
    assert.equal(e?.event, 'session.start');
    assert.equal(e.server_id, 'host-uuid.example.com');
    assert.notEqual(e.uid, 'forged');
    assert.equal(e.time, t.clock.now().toISOString());
    assert.equal(e.cluster_name, 'example.com');
    await assert.rejects(asBuiltin(t, 'Node').emitAuditEvent({ event: 'x' }), BadParameterError);
  });

  it('refuses unknown system roles everything', async () => {
    const t = await cluster();
    const api = asBuiltin(t, 'Bogus');
    await assert.rejects(api.getResource('user', 'bob'), AccessDeniedError);
    await assert.rejects(api.emitAuditEvent({ event: 'x', code: 'y' }), AccessDeniedError);
    await assert.rejects(api.generateUserCerts({ username: 'bob', sshPublicKey: keys.sshPublicKey }), AccessDeniedError);
  });

  it('refuses token kinds other than invite and reset', async () => {
    const t = await cluster();
    await assert.rejects(asBuiltin(t, 'Admin').createUserToken({ user: 'bob', kind: 'other' as 'invite' }), BadParameterError);
  });
});
