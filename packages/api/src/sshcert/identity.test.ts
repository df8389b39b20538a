/**
 * @module sshcert/identity.test
 * Reading Teleport identities back out of certificates, including formats written by upstream
 * Teleport (null trait values) and malformed extensions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '../errors.ts';
import { decodeCertificate, signCertificate, type CertificateFields } from './certificate.ts';
import { decodeHostSSHIdentity, decodeUserSSHIdentity } from './identity.ts';
import { T0, fixtureBlob, goldenHostFields, goldenUserFields, loadKey } from './testdata/fixtures.ts';

async function cert(fields: CertificateFields) {
  return decodeCertificate(signCertificate(fields, await loadKey('ca-ed25519')));
}

test('user identity: every Teleport extension is read back', async () => {
  const base = goldenUserFields(await fixtureBlob('subject-ed25519'));
  const c = await cert({
    ...base,
    extensions: {
      ...base.extensions,
      'permit-agent-forwarding': '',
      'teleport-traits': '{"logins":["root"],"empty":null}',
      'teleport-route-to-cluster': 'leaf',
      'mfa-verified': 'device-1',
      'teleport-active-requests': '{"access_requests":["req-1"]}',
    },
  });
  assert.deepEqual(decodeUserSSHIdentity(c), {
    username: 'alice',
    logins: ['alice', 'root'],
    roles: ['access', 'editor'],
    traits: { logins: ['root'], empty: [] },
    routeToCluster: 'leaf',
    loginIP: '192.168.1.1',
    mfaVerified: 'device-1',
    activeRequests: ['req-1'],
    sourceAddress: '10.0.0.0/8,192.168.1.1/32',
    validAfter: new Date((T0 - 60) * 1000),
    validBefore: new Date((T0 + 43200) * 1000),
    permitPTY: true,
    permitAgentForwarding: true,
    permitPortForwarding: true,
    permitX11Forwarding: false,
  });
});

test('user identity: plain OpenSSH certificates decode with empty Teleport fields', async () => {
  const c = await cert({ ...goldenUserFields(await fixtureBlob('subject-ed25519')), extensions: {}, criticalOptions: {} });
  const id = decodeUserSSHIdentity(c);
  assert.deepEqual([id.roles, id.traits, id.permitPTY, id.sourceAddress], [[], {}, false, undefined]);
});

test('user identity: malformed extensions are refused', async () => {
  const base = goldenUserFields(await fixtureBlob('subject-ed25519'));
  for (const [name, value, msg] of [
    ['teleport-roles', 'not json', /not valid JSON/],
    ['teleport-roles', '{"roles":[1]}', /must hold \{"roles": \[strings\]\}/],
    ['teleport-traits', '[]', /must be a JSON object/],
    ['teleport-traits', '{"a":"b"}', /trait "a" must be a list/],
  ] as const) {
    const c = await cert({ ...base, extensions: { [name]: value } });
    assert.throws(() => decodeUserSSHIdentity(c), (e) => e instanceof BadParameterError && msg.test(e.message));
  }
  const host = await cert(goldenHostFields(await fixtureBlob('subject-ed25519')));
  assert.throws(() => decodeUserSSHIdentity(host), /expected an SSH user certificate/);
});

test('host identity: role and authority are required', async () => {
  const fields = goldenHostFields(await fixtureBlob('subject-ed25519'));
  const id = decodeHostSSHIdentity(await cert(fields));
  assert.equal(id.role, 'Node');
  assert.equal(id.clusterName, 'example.com');
  assert.equal(id.hostId, 'host-1.example.com');
  assert.ok(id.validBefore.getTime() > Date.UTC(9999, 0, 1));
  await assert.rejects(async () => decodeHostSSHIdentity(await cert({ ...fields, extensions: {} })), /was not issued by Teleport/);
});
