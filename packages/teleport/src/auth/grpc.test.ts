/**
 * @module auth/grpc.test
 * The auth API over a real mutual-TLS listener on 127.0.0.1:0 with the real AuthClient: ping, typed
 * errors that cross the wire as the same classes with the same messages, refusal of client
 * certificates that are foreign, expired or missing, and - the important one - that a certificate
 * from the *user* CA claiming the Admin role is treated as a user, never as the Admin system role.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FakeClock, systemClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import {
  AccessDeniedError, AlreadyExistsError, BadParameterError, NotFoundError,
} from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import type { Identity } from '@teleport-ts/api/tlsca/identity';
import { newUser } from '@teleport-ts/api/types/validate/user';
import { createTLSCA, issueTLSCert } from '../ca/tlsCA.ts';
import type { LocalIdentity } from '../service/identityStore.ts';
import { issueLocalIdentity } from '../service/localIdentity.ts';
import type { AuthTLSServer } from './tlsServer.ts';
import { addUser, newTestAuthServer, newTestKeys, type TestAuth, startTestAuthTLS } from './testAuthServer.ts';

let t: TestAuth;
let server: AuthTLSServer;
let admin: LocalIdentity;
const clients: AuthClient[] = [];
const hostId = randomUUID();

function client(certPEM: string, keyPEM: string, caCerts = admin.tlsCACerts): AuthClient {
  const c = new AuthClient({ addr: `127.0.0.1:${server.address.port}`, certPEM, keyPEM, caCerts, timeoutMs: 10_000 });
  clients.push(c);
  return c;
}

/** A client whose certificate the test signs itself with the given CA, for an arbitrary identity. */
function forgedClient(ca: { caCertPEM: string; caKeyPEM: string }, identity: Omit<Identity, 'expires'>, opts: { notAfter?: Date; clock?: FakeClock; chain?: string } = {}): AuthClient {
  const kp = generateKeyPair('ecdsa-p256');
  const notAfter = opts.notAfter ?? new Date(Date.now() + 3600_000);
  const certPEM = issueTLSCert({
    ...ca, publicKey: kp.publicKey, identity: { ...identity, expires: notAfter }, notAfter, clock: opts.clock ?? systemClock, usage: 'client',
  });
  return client(certPEM + (opts.chain ?? ''), privateKeyToPEM(kp.privateKey));
}

before(async () => {
  // Real TLS checks validity against the wall clock, so the fake clock starts at the real time.
  t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
  admin = await issueLocalIdentity(t.auth, { hostId, nodeName: 'auth', role: 'Admin', algorithm: 'ecdsa-p256' });
  server = await startTestAuthTLS(t.auth, hostId);
  await addUser(t, 'alice', ['access'], { traits: { logins: ['alice'] } });
});

after(async () => {
  await server.close();
});

const asAdmin = () => client(admin.certPEM, admin.keyPEM);

describe('auth gRPC API', () => {
  it('answers ping for the Admin identity', async () => {
    const ping = await asAdmin().ping();
    assert.equal(ping.clusterName, 'example.com');
    assert.equal(ping.username, `${hostId}.example.com`);
    assert.deepEqual(ping.systemRoles, ['Admin']);
    assert.deepEqual(ping.roles, []);
    assert.deepEqual(ping.caPins, await t.auth.caPins());
    assert.match(ping.caPins[0] ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(ping.authPreference.spec.second_factor, 'off');
    assert.ok(ping.serverVersion);
  });

  it('returns typed errors as the same classes with the same messages', async () => {
    const api = asAdmin();
    const local = await t.services.users.getUser('nobody').catch((e: unknown) => e);
    assert.ok(local instanceof NotFoundError);
    await assert.rejects(api.getResource('user', 'nobody'), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.name, 'NotFoundError');
      assert.equal(err.code, 'not_found');
      assert.equal(err.message, local.message);
      return true;
    });
    await assert.rejects(api.createResource(newUser('alice', ['access'])), new AlreadyExistsError("user 'alice' already exists"));
    await assert.rejects(api.getResource('gadget', 'x'), (err: unknown) =>
      err instanceof BadParameterError && /^unsupported resource kind "gadget": supported kinds are user, role/.test(err.message));
    const nodeId = await issueLocalIdentity(t.auth, { hostId: randomUUID(), nodeName: 'n1', role: 'Node', algorithm: 'ed25519' });
    await assert.rejects(client(nodeId.certPEM, nodeId.keyPEM).createResource(newUser('eve', ['access'])),
      new AccessDeniedError('access denied: system role Node may not create user'));
  });

  it('serves a user certificate issued by the auth server as that user', async () => {
    const keys = newTestKeys();
    const certs = await t.auth.generateUserCerts(await t.services.users.getUser('alice'), { tlsPublicKey: keys.tlsPublicKey });
    const alice = client(certs.tlsCert, privateKeyToPEM(keys.pair.privateKey), certs.tlsCACerts);
    const ping = await alice.ping();
    assert.equal(ping.username, 'alice');
    assert.deepEqual(ping.roles, ['access']);
    assert.deepEqual(ping.systemRoles, []);
    await assert.rejects(alice.listResources('user'), AccessDeniedError);
    const cas = await alice.getCertAuthorities();
    assert.doesNotMatch(JSON.stringify(cas), /PRIVATE KEY/);
  });

  describe('refuses client certificates it must not trust', () => {
    /** Every call fails with AccessDeniedError saying why; nothing behind the authorizer runs. */
    async function refused(api: AuthClient, reason: RegExp): Promise<void> {
      for (const call of [() => api.ping(), () => api.createResource(newUser('eve', ['editor'])), () => api.listResources('user')]) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof AccessDeniedError, `expected AccessDeniedError, got ${String(err)}`);
          assert.match(err.message, reason);
          return true;
        });
      }
      await assert.rejects(t.services.users.getUser('eve'), NotFoundError);
    }

    it('from a foreign CA, even one with the same cluster name', async () => {
      const foreign = createTLSCA({ clusterName: 'example.com', caType: 'host', algorithm: 'ecdsa-p256', clock: systemClock });
      await refused(forgedClient({ caCertPEM: foreign.certPEM, caKeyPEM: foreign.keyPEM },
        { username: 'evil', groups: ['Admin'], systemRoles: ['Admin'] }),
        /^client certificate rejected: it was not issued by this cluster's certificate authorities \(\w+\); log in to this cluster again$/);
    });

    it('that has expired', async () => {
      const past = new FakeClock(Date.now() - 2 * 3600_000);
      await refused(forgedClient(await t.auth.keyring.tlsSigner('user'), { username: 'alice', groups: ['access'] },
        { clock: past, notAfter: new Date(Date.now() - 3600_000) }),
        /^client certificate rejected: it has expired \(CERT_HAS_EXPIRED\); run 'tsh login'/);
    });

    it('when none is presented', async () => {
      await refused(client('', ''), /^no client certificate presented: log in with tsh login/);
    });
  });

  describe('never treats a user certificate as a system role', () => {
    const adminOps = async (api: AuthClient): Promise<void> => {
      const kp = generateKeyPair('ed25519');
      await assert.rejects(api.createResource(newUser('eve', ['editor'])), AccessDeniedError);
      await assert.rejects(api.generateHostCerts({ hostId: 'h', nodeName: 'n', role: 'Admin', sshPublicKey: '', tlsPublicKey: publicKeyToPEM(kp.publicKey) }), AccessDeniedError);
      await assert.rejects(api.generateUserCerts({ username: 'bob', sshPublicKey: '', tlsPublicKey: publicKeyToPEM(kp.publicKey) }), AccessDeniedError);
      await assert.rejects(t.services.users.getUser('eve'), NotFoundError);
    };

    it('with O=Admin and the system-role attribute, signed by the user CA', async () => {
      const api = forgedClient(await t.auth.keyring.tlsSigner('user'), { username: 'alice', groups: ['Admin'], systemRoles: ['Admin'] });
      const ping = await api.ping();
      assert.deepEqual(ping.systemRoles, [], 'not the Admin system role');
      assert.equal(ping.username, 'alice');
      await adminOps(api);
    });

    it('named after the admin host identity', async () => {
      const api = forgedClient(await t.auth.keyring.tlsSigner('user'), { username: `${hostId}.example.com`, groups: ['Admin'], systemRoles: ['Admin'] });
      await assert.rejects(api.ping(), new AccessDeniedError(`user '${hostId}.example.com' no longer exists`));
    });

    it('with the host CA certificate appended to its chain', async () => {
      const hostCA = (await t.auth.keyring.tlsCerts('host')).join('');
      const api = forgedClient(await t.auth.keyring.tlsSigner('user'), { username: 'alice', groups: ['Admin'], systemRoles: ['Admin'] }, { chain: hostCA });
      let ping;
      try {
        ping = await api.ping();
      } catch (err) {
        assert.ok(err instanceof AccessDeniedError, String(err));
        return;
      }
      assert.deepEqual(ping.systemRoles, []);
      await adminOps(api);
    });
  });

  it('hides the details of unexpected server errors', async () => {
    const original = t.services.users.listUsers.bind(t.services.users);
    t.services.users.listUsers = async () => {
      throw new Error('secret internal detail');
    };
    try {
      await assert.rejects(asAdmin().listResources('user'), (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.doesNotMatch(err.message, /secret internal detail/);
        assert.match(err.message, /internal error in the auth service/);
        return true;
      });
    } finally {
      t.services.users.listUsers = original;
    }
  });
});
