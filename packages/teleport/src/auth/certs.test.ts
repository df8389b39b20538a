/**
 * @module auth/certs.test
 * What goes into issued certificates, checked by decoding them: user SSH certificates (principals
 * from traits, TTL default and caps, permit-* from role options, Teleport extensions), the X.509
 * identity of user certificates, host certificates with upstream's principals and extensions, and
 * the cert.create audit event.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { BadParameterError } from '@teleport-ts/api/errors';
import { decodeCertificate, parseCertificateLine, verifyCertificate, type SSHCertificate } from '@teleport-ts/api/sshcert/certificate';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import { identityFromCertificate } from '@teleport-ts/api/tlsca/identity';
import type { RoleOptions } from '@teleport-ts/api/types/role';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { Traits, User } from '@teleport-ts/api/types/user';
import type { Certs } from '@teleport-ts/api/client/authClient';
import { CLUSTER_LOCAL_DNS } from './certs.ts';
import { CERT_TTL_MS } from '../config/defaults.ts';
import { addUser, newTestAuthServer, newTestKeys, type TestAuth, type TestKeys } from './testAuthServer.ts';

const HOUR = 3600_000;
let t: TestAuth;
let keys: TestKeys;

beforeEach(async () => {
  t = await newTestAuthServer({ secondFactor: 'off' });
  keys = newTestKeys();
});

async function userWith(roles: string[], traits?: Traits): Promise<User> {
  return addUser(t, 'alice', roles, traits ? { traits } : {});
}

async function addRole(name: string, options: RoleOptions, logins: string[] = ['{{internal.logins}}']): Promise<void> {
  await t.services.access.createRole(newRole(name, { options, allow: { logins, node_labels: { '*': '*' } } }));
}

function issue(user: User, extra: { ttlMs?: number; loginIP?: string } = {}): Promise<Certs> {
  return t.auth.generateUserCerts(user, { sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey, ...extra });
}

function sshCert(certs: Certs): SSHCertificate {
  return decodeCertificate(parseCertificateLine(certs.sshCert));
}

async function caSSHKey(type: 'user' | 'host'): Promise<Buffer> {
  const line = (await t.auth.keyring.publicCA(type)).spec.active_keys.ssh?.[0]?.public_key;
  assert.ok(line);
  return parseAuthorizedKey(line).blob;
}

async function caTLSCert(type: 'user' | 'host'): Promise<X509Certificate> {
  const [pem] = await t.auth.keyring.tlsCerts(type);
  assert.ok(pem);
  return new X509Certificate(pem);
}

const nowS = () => Math.floor(t.clock.nowMs() / 1000);

describe('user certificates', () => {
  it('carry the logins from traits, the roles and traits, and a 12h TTL by default', async () => {
    const traits = { logins: ['alice', 'root'], db_users: ['reader'] };
    const certs = await issue(await userWith(['access'], traits));
    assert.equal(certs.username, 'alice');

    const ssh = verifyCertificate(parseCertificateLine(certs.sshCert), {
      now: t.clock.now(), trustedCAKeys: [await caSSHKey('user')], certType: 'user', principal: 'root',
    });
    assert.equal(ssh.keyId, 'alice');
    assert.deepEqual(ssh.principals, ['alice', 'root']);
    assert.equal(CERT_TTL_MS, 12 * HOUR);
    assert.equal(ssh.validAfter, nowS() - 60);
    assert.equal(ssh.validBefore, nowS() + 12 * 3600);
    assert.deepEqual(JSON.parse(ssh.extensions['teleport-roles'] ?? ''), { roles: ['access'] });
    assert.deepEqual(JSON.parse(ssh.extensions['teleport-traits'] ?? ''), traits);
    assert.equal(ssh.extensions['teleport-route-to-cluster'], 'example.com');
    assert.equal(ssh.extensions['permit-pty'], '');
    assert.ok(ssh.publicKey.equals(parseAuthorizedKey(keys.sshPublicKey).blob), 'certifies the key that was sent');
    assert.deepEqual(ssh.criticalOptions, {});

    const x = new X509Certificate(certs.tlsCert);
    assert.ok(x.verify((await caTLSCert('user')).publicKey), 'signed by the user CA');
    assert.equal(new Date(x.validTo).getTime(), Math.floor((t.clock.nowMs() + 12 * HOUR) / 1000) * 1000);
    const id = identityFromCertificate(certs.tlsCert);
    assert.equal(id.username, 'alice');
    assert.deepEqual(id.groups, ['access']);
    assert.deepEqual(id.principals, ['alice', 'root']);
    assert.deepEqual(id.traits, traits);
    assert.equal(id.routeToCluster, 'example.com');
    assert.equal(id.teleportCluster, 'example.com');
    assert.equal(id.systemRoles, undefined, 'a user certificate names no system role');
    assert.equal(id.expires.getTime(), new Date(x.validTo).getTime());
  });

  it('return the host CA to trust, without private keys', async () => {
    const certs = await issue(await userWith(['access'], { logins: ['alice'] }));
    assert.equal(certs.hostCAs.length, 1);
    assert.equal(certs.hostCAs[0]?.spec.type, 'host');
    assert.doesNotMatch(JSON.stringify(certs.hostCAs), /PRIVATE KEY/);
    assert.deepEqual(certs.tlsCACerts, await t.auth.keyring.tlsCerts('host'));
  });

  it('honour a shorter requested TTL and cap longer ones at the roles\' max_session_ttl (shortest wins)', async () => {
    const alice = await userWith(['access'], { logins: ['alice'] });
    assert.equal(sshCert(await issue(alice, { ttlMs: HOUR })).validBefore, nowS() + 3600);
    assert.equal(sshCert(await issue(alice, { ttlMs: 100 * HOUR })).validBefore, nowS() + 30 * 3600, 'access allows 30h');

    await addRole('short', { max_session_ttl: '2h0m0s' });
    const both = { ...alice, spec: { ...alice.spec, roles: ['access', 'short'] } };
    await t.services.users.upsertUser(both);
    const certs = await issue(both);
    assert.equal(sshCert(certs).validBefore, nowS() + 2 * 3600, 'the 12h default is capped too');
    assert.equal(identityFromCertificate(certs.tlsCert).expires.getTime(), Math.floor((t.clock.nowMs() + 2 * HOUR) / 1000) * 1000);
  });

  it('grant permit-* extensions according to the roles\' options', async () => {
    await addRole('locked-down', { forward_agent: false, port_forwarding: false });
    await addRole('x11', { forward_agent: true, port_forwarding: false, permit_x11_forwarding: true });
    const user = await userWith(['locked-down'], { logins: ['alice'] });
    const exts = Object.keys(sshCert(await issue(user)).extensions);
    assert.ok(exts.includes('permit-pty'));
    for (const e of ['permit-agent-forwarding', 'permit-port-forwarding', 'permit-X11-forwarding']) assert.ok(!exts.includes(e), e);

    // Forwarding is OR-ed across roles.
    await t.services.users.upsertUser({ ...user, spec: { ...user.spec, roles: ['locked-down', 'x11'] } });
    const ext2 = sshCert(await issue(await t.services.users.getUser('alice'))).extensions;
    assert.equal(ext2['permit-agent-forwarding'], '');
    assert.equal(ext2['permit-X11-forwarding'], '');
    assert.equal(ext2['permit-port-forwarding'], undefined);

    const access = sshCert(await issue({ ...user, spec: { ...user.spec, roles: ['access'] } }, {})).extensions;
    assert.equal(access['permit-agent-forwarding'], '');
    assert.equal(access['permit-port-forwarding'], '');
  });

  it('give a user with no logins only an unusable -teleport-nologin principal, never an empty list', async () => {
    const certs = await issue(await userWith(['auditor']));
    const ssh = sshCert(certs);
    assert.equal(ssh.principals.length, 1);
    assert.match(ssh.principals[0] ?? '', /^-teleport-nologin-[0-9a-f-]{36}$/);
    assert.deepEqual(identityFromCertificate(certs.tlsCert).principals, ssh.principals);
  });

  it('drop logins a role denies', async () => {
    await t.services.access.createRole(newRole('no-root', { deny: { logins: ['root'] } }));
    const certs = await issue(await userWith(['access', 'no-root'], { logins: ['alice', 'root'] }));
    assert.deepEqual(sshCert(certs).principals, ['alice']);
  });

  it('record the login IP without its port (IPv4 and IPv6)', async () => {
    await addUser(t, 'bob', ['access'], { traits: { logins: ['bob'] }, password: 'correct horse battery staple' });
    for (const [remoteAddr, ip] of [['192.0.2.7:51000', '192.0.2.7'], ['[2001:db8::1]:51000', '2001:db8::1']] as const) {
      const certs = await t.auth.authenticateSSHUser({
        user: 'bob', password: 'correct horse battery staple', sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey, remoteAddr,
      });
      assert.equal(sshCert(certs).extensions['login-ip'], ip);
      assert.equal(identityFromCertificate(certs.tlsCert).loginIP, ip);
    }
  });

  it('can be issued for one key type only, but not for none', async () => {
    const alice = await userWith(['access'], { logins: ['alice'] });
    const sshOnly = await t.auth.generateUserCerts(alice, { sshPublicKey: keys.sshPublicKey });
    assert.equal(sshOnly.tlsCert, '');
    assert.ok(sshOnly.sshCert);
    const tlsOnly = await t.auth.generateUserCerts(alice, { tlsPublicKey: keys.tlsPublicKey });
    assert.equal(tlsOnly.sshCert, '');
    await assert.rejects(t.auth.generateUserCerts(alice, {}), BadParameterError);
  });

  it('are audited as cert.create (TC000I)', async () => {
    await issue(await userWith(['access'], { logins: ['alice'] }));
    const e = t.audit.all().find((x) => x.event === 'cert.create');
    assert.ok(e);
    assert.equal(e.code, 'TC000I');
    assert.equal(e.cert_type, 'user');
    assert.equal(e.user, 'alice');
    assert.deepEqual(e.identity, {
      user: 'alice', roles: ['access'], logins: ['alice'], expires: new Date(t.clock.nowMs() + 12 * HOUR).toISOString(),
      route_to_cluster: t.auth.clusterName,
    });
  });
});

describe('host certificates', () => {
  const request = () => ({
    hostId: '5a7e1c3d-0000-4000-8000-000000000001', nodeName: 'node1', role: 'Node',
    sshPublicKey: keys.sshPublicKey, tlsPublicKey: keys.tlsPublicKey,
  });

  it('put only real IP principals in the TLS IP SANs (a colon alone does not make an address)', async () => {
    const certs = await t.auth.generateHostCerts({ ...request(), additionalPrincipals: ['10.1.2.3', 'fd00::7', 'node1:3022'] });
    const san = new X509Certificate(certs.tlsCert).subjectAltName ?? '';
    assert.match(san, /IP Address:10\.1\.2\.3/);
    assert.match(san, /IP Address:FD00:0:0:0:0:0:0:7/i);
    assert.doesNotMatch(san, /node1:3022/);
  });

  it('carry upstream\'s principals and the x-teleport-role / x-teleport-authority extensions', async () => {
    const certs = await t.auth.generateHostCerts(request());
    const fqdn = '5a7e1c3d-0000-4000-8000-000000000001.example.com';
    assert.equal(certs.username, fqdn);
    const ssh = verifyCertificate(parseCertificateLine(certs.sshCert), {
      now: t.clock.now(), trustedCAKeys: [await caSSHKey('host')], certType: 'host', principal: 'node1',
    });
    assert.equal(ssh.keyId, fqdn);
    assert.deepEqual(ssh.principals, [fqdn, '5a7e1c3d-0000-4000-8000-000000000001', 'node1.example.com', 'node1', 'localhost', '127.0.0.1', '::1']);
    assert.deepEqual(ssh.extensions, { 'x-teleport-role': 'Node', 'x-teleport-authority': 'example.com' });
  });

  it('have a TLS certificate from the host CA, valid for teleport.cluster.local, naming the system role', async () => {
    const certs = await t.auth.generateHostCerts({ ...request(), additionalPrincipals: ['10.0.0.5'], dnsNames: ['node1.internal'] });
    const x = new X509Certificate(certs.tlsCert);
    assert.ok(x.verify((await caTLSCert('host')).publicKey), 'signed by the host CA');
    assert.ok(!x.verify((await caTLSCert('user')).publicKey));
    assert.equal(CLUSTER_LOCAL_DNS, 'teleport.cluster.local');
    assert.equal(x.checkHost('teleport.cluster.local'), 'teleport.cluster.local');
    assert.equal(x.checkHost('node1.internal'), 'node1.internal');
    assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x.checkIP('10.0.0.5'), '10.0.0.5');
    const id = identityFromCertificate(certs.tlsCert);
    assert.equal(id.username, '5a7e1c3d-0000-4000-8000-000000000001.example.com');
    assert.deepEqual(id.systemRoles, ['Node']);
    assert.equal(id.teleportCluster, 'example.com');
    assert.ok(sshCert(certs).principals.includes('10.0.0.5'));
  });

  it('are audited as cert.create (TC000I) and need a host id', async () => {
    await t.auth.generateHostCerts(request());
    const e = t.audit.all().find((x) => x.event === 'cert.create');
    assert.equal(e?.code, 'TC000I');
    assert.equal(e.cert_type, 'host');
    await assert.rejects(t.auth.generateHostCerts({ ...request(), hostId: '' }), BadParameterError);
  });
});
