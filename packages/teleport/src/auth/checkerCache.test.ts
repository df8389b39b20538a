/**
 * @module auth/checkerCache.test
 * The shared AccessCheckers: reused only for the same role revisions and traits, so a role edited,
 * deleted or recreated, a user deleted, or new traits take effect on the very next issuance, through
 * the API exactly as before the cache.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError, NotFoundError } from '@teleport-ts/api/errors';
import { decodeCertificate, parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { Role } from '@teleport-ts/api/types/role';
import { accessCheckerFor } from './checkerCache.ts';
import { Authorizer } from './authorizer.ts';
import { addUser, asBuiltin, newTestAuthServer, newTestKeys, type TestAuth, type TestKeys } from './testAuthServer.ts';

let t: TestAuth;
let keys: TestKeys;

beforeEach(async () => {
  t = await newTestAuthServer({ secondFactor: 'off' });
  keys = newTestKeys();
});

const role = (name: string, logins: string[]): Role => newRole(name, { allow: { logins, node_labels: { '*': '*' } } });

/** Issues through the authorization layer as the Admin system role, like tctl auth sign. */
async function principals(user: string): Promise<string[]> {
  const certs = await asBuiltin(t, 'Admin').generateUserCerts({ username: user, sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey });
  return decodeCertificate(parseCertificateLine(certs.sshCert)).principals;
}

describe('accessCheckerFor', () => {
  it('shares a checker for the same role revisions and traits, and only then', async () => {
    await t.services.access.createRole(role('ops', ['root']));
    const a = await t.services.access.getRole('ops');
    const b = await t.services.access.getRole('ops');
    assert.notEqual(a, b, 'two reads give two objects');
    assert.equal(accessCheckerFor([a], {}), accessCheckerFor([b], {}));
    assert.notEqual(accessCheckerFor([a], {}), accessCheckerFor([a], { logins: ['x'] }));
    await t.services.access.upsertRole(role('ops', ['admin']));
    const c = await t.services.access.getRole('ops');
    assert.notEqual(c.metadata.revision, a.metadata.revision);
    assert.notEqual(accessCheckerFor([c], {}), accessCheckerFor([a], {}));
    assert.deepEqual(accessCheckerFor([c], {}).allowedLogins(), ['admin']);
    assert.deepEqual(accessCheckerFor([a], {}).allowedLogins(), ['root']);
  });

  it('never caches roles without a storage revision', () => {
    const r = role('mem', ['root']);
    assert.equal(r.metadata.revision, undefined);
    assert.notEqual(accessCheckerFor([r], {}), accessCheckerFor([r], {}));
  });
});

describe('user certificates after changes (checker cache in place)', () => {
  it('a role edited between two issuances changes the next certificate', async () => {
    await t.services.access.createRole(role('ops', ['root']));
    await addUser(t, 'alice', ['ops']);
    assert.deepEqual(await principals('alice'), ['root']);
    assert.deepEqual(await principals('alice'), ['root']);
    await t.services.access.upsertRole(role('ops', ['ubuntu']));
    assert.deepEqual(await principals('alice'), ['ubuntu']);
  });

  it('a role deleted, then recreated with the same content, is honoured at each step', async () => {
    await t.services.access.createRole(role('ops', ['root']));
    await t.services.access.createRole(role('dev', ['dev']));
    await addUser(t, 'alice', ['ops', 'dev']);
    assert.deepEqual(await principals('alice'), ['root', 'dev']);
    await t.services.access.deleteRole('ops');
    assert.deepEqual(await principals('alice'), ['dev']);
    await t.services.access.createRole(role('ops', ['root']));
    assert.deepEqual(await principals('alice'), ['root', 'dev']);
  });

  it('new traits change the next certificate', async () => {
    await t.services.access.createRole(role('ops', ['{{internal.logins}}']));
    await addUser(t, 'alice', ['ops'], { traits: { logins: ['a'] } });
    assert.deepEqual(await principals('alice'), ['a']);
    const user = await t.services.users.getUser('alice');
    await t.services.users.upsertUser({ ...user, spec: { ...user.spec, traits: { logins: ['b'] } } });
    assert.deepEqual(await principals('alice'), ['b']);
  });

  it('a deleted user gets no certificate, and the user\'s own certificate stops working at once', async () => {
    await t.services.access.createRole(role('ops', ['root']));
    await addUser(t, 'alice', ['ops']);
    const certs = await asBuiltin(t, 'Admin').generateUserCerts({ username: 'alice', tlsPublicKey: keys.tlsPublicKey });
    const identity = identityFromCertificate(certs.tlsCert);
    const authorizer = new Authorizer(t.auth.services, t.auth.keyring, t.auth.clock);
    assert.deepEqual((await authorizer.forUser(identity)).checker.allowedLogins(), ['root']);
    await t.services.users.deleteUser('alice');
    await assert.rejects(principals('alice'), NotFoundError);
    await assert.rejects(authorizer.forUser(identity), AccessDeniedError);
  });
});
