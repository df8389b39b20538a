/**
 * @module integration/rbac.test
 * Role-based access on the auth API with users' own certificates: a user with only the `access` role,
 * using the key and certificates `tsh login` saved, may ping but may not list users or create roles
 * (clear access-denied messages); a deleted user's still-valid certificate is refused at once, even on
 * a connection opened before the deletion.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthClient } from '../packages/api/src/client/authClient.ts';
import { isAccessDenied } from '../packages/api/src/errors.ts';
import { loadPrivateKey } from '../packages/api/src/identityFile.ts';
import { privateKeyToPEM } from '../packages/api/src/keys.ts';
import type { Role } from '../packages/api/src/types/role.ts';
import { authClientFor, issuedUserCredentials } from './helpers/certs.ts';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { createUser, tshLogin } from './helpers/users.ts';

/** Asserts that `p` fails with AccessDenied and a message matching `message`. */
async function assertDenied(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.ok(isAccessDenied(err), `expected access denied, got ${err.constructor.name}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

const ROLE: Role = {
  kind: 'role', version: 'v7', metadata: { name: 'sneaky' },
  spec: { allow: { rules: [{ resources: ['*'], verbs: ['*'] }] } },
};

describe('RBAC on the auth API with users\' own certificates', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  test('an access-only user cannot list users or create roles', async () => {
    const paul = await createUser(cluster, 'paul', { roles: ['access'], logins: ['paul'] });
    const home = cluster.newHome();
    const login = await tshLogin(cluster, paul, home);
    assert.equal(login.code, 0, describeResult(login));

    // The credentials tsh saved: key (OpenSSH format for Ed25519), X.509 certificate, cluster CAs.
    const keys = join(home, 'keys', '127.0.0.1');
    const client: AuthClient = authClientFor(cluster.authAddr, {
      keyPEM: privateKeyToPEM(loadPrivateKey(await readFile(join(keys, 'paul'), 'utf8'))),
      certPEM: await readFile(join(keys, 'paul.crt'), 'utf8'),
      caCerts: [await readFile(join(keys, 'cas', `${CLUSTER_NAME}.pem`), 'utf8')],
    });
    const ping = await client.ping();
    assert.equal(ping.username, 'paul');
    assert.deepEqual(ping.roles, ['access']);

    await assertDenied(client.listResources('user'), /^access denied: your roles \(access\) do not allow "list" on "user"; ask an administrator/);
    await assertDenied(client.createResource(ROLE), /^access denied: your roles \(access\) do not allow "create" on "role"/);
    await assertDenied(client.upsertResource(ROLE), /access denied: .*"create" on "role"/);
    await assertDenied(client.deleteResource('role', 'access'), /access denied: .*"delete" on "role"/);
    await assertDenied(client.generateUserCerts({ username: 'admin-wannabe', sshPublicKey: '', tlsPublicKey: '' }), /access denied/);

    const roles = await cluster.tctl(['get', 'roles', '--format=text']);
    assert.doesNotMatch(roles.stdout, /sneaky/, 'nothing was created');
  });

  test('a deleted user\'s still-valid certificate is refused at once', async () => {
    const add = await cluster.tctl(['users', 'add', 'quinn', '--roles=editor']);
    assert.equal(add.code, 0, describeResult(add));
    const client = authClientFor(cluster.authAddr, await issuedUserCredentials(cluster, 'quinn'));
    const before = await client.listResources('user');
    assert.ok(before.some((u) => u.metadata.name === 'quinn'));

    const rm = await cluster.tctl(['users', 'rm', 'quinn']);
    assert.equal(rm.code, 0, describeResult(rm));
    // Same client, same HTTP/2 connection: authorization is re-checked on every call.
    await assertDenied(client.listResources('user'), /user 'quinn' no longer exists/);
    await assertDenied(client.ping(), /user 'quinn' no longer exists/);
    const fresh = authClientFor(cluster.authAddr, await issuedUserCredentials(cluster, 'paul'));
    await assertDenied(fresh.listResources('user'), /do not allow "list" on "user"/);
  });
});
