/**
 * @module ca/sshCertIssuer.test
 * The contents of Teleport's SSH user and host certificates, checked through our decoder and, when
 * installed, the real `ssh-keygen -L`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import { generateKeyPair } from '@teleport-ts/api/keys';
import { decodeCertificate, formatCertificateLine, verifyCertificate } from '@teleport-ts/api/sshcert/certificate';
import { decodeHostSSHIdentity, decodeUserSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { NO_LOGIN_PREFIX, issueHostSSHCert, issueUserSSHCert, normalizeSourceAddress } from './sshCertIssuer.ts';
import { HOST_CERT_TTL_MS } from '../config/defaults.ts';

const ca = generateKeyPair('ed25519').privateKey;
const caBlob = sshPublicKeyBlob(ca);
const userKey = sshPublicKeyBlob(generateKeyPair('ecdsa-p256').publicKey);
const T0 = Date.UTC(2026, 0, 1) / 1000;
const HOUR = 3_600_000;

function userCert(overrides: Partial<Parameters<typeof issueUserSSHCert>[0]> = {}): Buffer {
  return issueUserSSHCert({
    caPrivateKey: ca, publicKey: userKey, username: 'alice', logins: ['alice', 'root', 'alice'], ttlMs: 12 * HOUR,
    clock: new FakeClock(), permitAgentForwarding: true, permitPortForwarding: false, permitX11Forwarding: true,
    roles: ['access', 'editor'], traits: { logins: ['root'], kubernetes_groups: [] }, routeToCluster: 'leaf',
    loginIP: '192.0.2.7', sourceAddress: '192.0.2.7', mfaVerified: 'dev-1', activeRequests: ['req-1'], serial: 5n,
    ...overrides,
  });
}

const hostOpts = {
  caPrivateKey: ca, publicKey: userKey, hostId: '0a1b-uuid', nodeName: 'db1', clusterName: 'example.com', role: 'Node', clock: new FakeClock(),
};

test('user certificate: key id, principals, validity and extensions', () => {
  const cert = verifyCertificate(userCert(), { now: new Date(T0 * 1000), trustedCAKeys: [caBlob], principal: 'root', certType: 'user' });
  assert.equal(cert.keyId, 'alice');
  assert.equal(cert.serial, 5n);
  assert.deepEqual(cert.principals, ['alice', 'root']);
  assert.equal(cert.validAfter, T0 - 60);
  assert.equal(cert.validBefore, T0 + 12 * 3600);
  assert.deepEqual(cert.criticalOptions, { 'source-address': '192.0.2.7/32' });
  assert.deepEqual(cert.extensions, {
    'login-ip': '192.0.2.7',
    'mfa-verified': 'dev-1',
    'permit-X11-forwarding': '',
    'permit-agent-forwarding': '',
    'permit-pty': '',
    'teleport-active-requests': '{"access_requests":["req-1"]}',
    'teleport-roles': '{"roles":["access","editor"]}',
    'teleport-route-to-cluster': 'leaf',
    'teleport-traits': '{"logins":["root"],"kubernetes_groups":[]}',
  });
});

test('user certificate: decodeUserSSHIdentity gives back what was issued', () => {
  const id = decodeUserSSHIdentity(decodeCertificate(userCert()));
  assert.equal(id.username, 'alice');
  assert.deepEqual(id.logins, ['alice', 'root']);
  assert.deepEqual(id.roles, ['access', 'editor']);
  assert.deepEqual(id.traits, { logins: ['root'], kubernetes_groups: [] });
  assert.equal(id.routeToCluster, 'leaf');
  assert.deepEqual(id.activeRequests, ['req-1']);
  assert.deepEqual([id.permitPTY, id.permitAgentForwarding, id.permitPortForwarding, id.permitX11Forwarding], [true, true, false, true]);
  assert.equal(id.validBefore.toISOString(), '2026-01-01T12:00:00.000Z');
});

test('user certificate: optional fields are left out when not set', () => {
  const cert = decodeCertificate(userCert({
    permitAgentForwarding: false, permitX11Forwarding: false, permitPortForwarding: true, routeToCluster: undefined,
    loginIP: undefined, sourceAddress: undefined, mfaVerified: undefined, activeRequests: [], serial: undefined,
  } as Partial<Parameters<typeof issueUserSSHCert>[0]>));
  assert.deepEqual(Object.keys(cert.extensions), ['permit-port-forwarding', 'permit-pty', 'teleport-roles', 'teleport-traits']);
  assert.deepEqual(cert.criticalOptions, {});
  assert.equal(cert.serial, 0n);
});

test('user certificate: no logins means an unusable principal, never an empty list', () => {
  const cert = decodeCertificate(userCert({ logins: [] }));
  assert.equal(cert.principals.length, 1);
  assert.ok(cert.principals[0]?.startsWith(NO_LOGIN_PREFIX));
});

test('user certificate: bad input is refused', () => {
  assert.throws(() => userCert({ ttlMs: 0 }), BadParameterError);
  assert.throws(() => userCert({ username: '' }), /without a username/);
  assert.throws(() => userCert({ sourceAddress: 'example.com' }), /invalid source address "example.com"/);
  assert.equal(normalizeSourceAddress('10.0.0.1, 10.1.0.0/16,2001:db8::1'), '10.0.0.1/32,10.1.0.0/16,2001:db8::1/128');
  assert.throws(() => normalizeSourceAddress('10.0.0.0/33'), BadParameterError);
});

test('host certificate: principals, key id, extensions and default lifetime', () => {
  const cert = decodeCertificate(issueHostSSHCert({ ...hostOpts, extraPrincipals: ['db1.internal', 'localhost'] }));
  assert.equal(cert.type, 'host');
  assert.equal(cert.keyId, '0a1b-uuid.example.com');
  assert.deepEqual(cert.principals, ['0a1b-uuid.example.com', '0a1b-uuid', 'db1.example.com', 'db1', 'localhost', '127.0.0.1', '::1', 'db1.internal']);
  assert.deepEqual(cert.extensions, { 'x-teleport-authority': 'example.com', 'x-teleport-role': 'Node' });
  assert.equal(cert.validAfter, T0 - 60);
  assert.equal(cert.validBefore, T0 + HOST_CERT_TTL_MS / 1000);
  assert.deepEqual(decodeHostSSHIdentity(cert).role, 'Node');
  const same = decodeCertificate(issueHostSSHCert({ ...hostOpts, nodeName: '0a1b-uuid', ttlMs: HOUR }));
  assert.deepEqual(same.principals, ['0a1b-uuid.example.com', '0a1b-uuid', 'localhost', '127.0.0.1', '::1']);
  assert.equal(same.validBefore, T0 + 3600);
  assert.throws(() => issueHostSSHCert({ ...hostOpts, clusterName: '' }), /without a cluster name/);
});

const hasSshKeygen = !spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error;

describe('ssh-keygen -L reads issued certificates', { skip: !hasSshKeygen && 'ssh-keygen is not installed' }, () => {
  async function list(blob: Buffer): Promise<string[]> {
    const dir = await mkdtemp(join(tmpdir(), 'issuer-test-'));
    try {
      await writeFile(join(dir, 'c-cert.pub'), formatCertificateLine(blob) + '\n');
      const out = execFileSync('ssh-keygen', ['-L', '-f', join(dir, 'c-cert.pub')], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
      return out.split('\n').map((l) => l.trim());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test('user certificate', async () => {
    const out = await list(userCert());
    for (const line of ['Key ID: "alice"', 'Valid: from 2025-12-31T23:59:00 to 2026-01-01T12:00:00', 'source-address 192.0.2.7/32',
      'permit-X11-forwarding', 'permit-agent-forwarding', 'permit-pty', 'alice', 'root']) {
      assert.ok(out.includes(line), `missing "${line}" in:\n${out.join('\n')}`);
    }
    assert.ok(!out.includes('permit-port-forwarding'));
  });

  test('host certificate', async () => {
    const out = await list(issueHostSSHCert(hostOpts));
    assert.ok(out.some((l) => l.endsWith('host certificate')));
    for (const line of ['Key ID: "0a1b-uuid.example.com"', 'Valid: from 2025-12-31T23:59:00 to 2035-12-30T00:00:00', '::1', 'db1.example.com']) {
      assert.ok(out.includes(line), `missing "${line}" in:\n${out.join('\n')}`);
    }
  });
});
