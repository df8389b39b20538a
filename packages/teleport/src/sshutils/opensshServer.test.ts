/**
 * @module sshutils/opensshServer.test
 * An ssh2 Client configured by sshClientAuthConfig against the real OpenSSH `sshd` (HostCertificate
 * from our host CA, TrustedUserCAKeys with our user CA): exec works with Ed25519, ECDSA and RSA user
 * certificates, and a host certificate from another CA is refused by the client with a reason.
 *
 * Patches covered: 003 (client-cert-userauth-signature) - without it sshd refuses the signature of
 * every certificate login here; 004 (client-host-cert-algorithms) - without it ssh2 throws
 * "Unsupported algorithm: ssh-ed25519-cert-v01@openssh.com" and cannot verify a certificate host key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyAlgorithm } from '@teleport-ts/api/keys';
import { sshClientAuthConfig } from './clientAuth.ts';
import { hasOpenSSH, hostCert, makeCA, makeKey, ssh2Exec, startSshd, userCert, withTempDir, type TestCA } from './testkit.ts';

const isRoot = process.getuid?.() === 0;

describe('ssh2 client -> OpenSSH sshd with certificates', { skip: (!hasOpenSSH && 'OpenSSH is not installed') || (!isRoot && 'sshd tests log in as root') }, () => {
  const matrix: [KeyAlgorithm, KeyAlgorithm, KeyAlgorithm][] = [
    ['ed25519', 'ed25519', 'ed25519'],
    ['ecdsa-p256', 'ecdsa-p256', 'ecdsa-p256'],
    ['rsa-2048', 'rsa-2048', 'rsa-2048'],
  ];
  for (const [hostAlg, userAlg, caAlg] of matrix) {
    test(`exec works: ${hostAlg} host key, ${userAlg} user key, ${caAlg} CAs`, () => withTempDir(async (dir) => {
      const hostCA = makeCA(caAlg);
      const userCA = makeCA(caAlg);
      const hostKey = makeKey(hostAlg);
      const sshd = await startSshd(dir, { hostKey, hostCertLine: hostCert(hostCA, hostKey), userCA });
      try {
        const key = makeKey(userAlg);
        const rejected: string[] = [];
        const config = sshClientAuthConfig({
          privateKeyPEM: key.pem, certLine: userCert(userCA, key), username: 'root',
          hostCAKeys: [hostCA.blob], hostname: '127.0.0.1', onHostRejected: (r) => rejected.push(r),
        });
        let negotiated = '';
        const res = await ssh2Exec({
          host: '127.0.0.1', port: sshd.port, ...config,
          debug: (m) => (negotiated = /Handshake: Host key format: (\S+)/.exec(m)?.[1] ?? negotiated),
        }, 'echo hello');
        assert.equal(res.error, undefined, `${res.error?.message ?? ''}\n${sshd.log()}`);
        assert.equal(res.stdout, 'hello\n');
        assert.equal(res.code, 0);
        assert.deepEqual(rejected, []);
        assert.match(negotiated, /-cert-v01@openssh\.com$/, 'the host certificate was negotiated');
        assert.match(sshd.log(), /Accepted publickey for root .* (ED25519|ECDSA|RSA)-CERT SHA256:\S+ ID alice/);
      } finally {
        await sshd.stop();
      }
    }));
  }

  test('a host certificate from another CA is refused by the client', () => withTempDir(async (dir) => {
    const userCA = makeCA();
    const otherCA: TestCA = makeCA();
    const hostKey = makeKey();
    const sshd = await startSshd(dir, { hostKey, hostCertLine: hostCert(otherCA, hostKey), userCA });
    try {
      const key = makeKey();
      const rejected: string[] = [];
      const res = await ssh2Exec({
        host: '127.0.0.1', port: sshd.port,
        ...sshClientAuthConfig({
          privateKeyPEM: key.pem, certLine: userCert(userCA, key), username: 'root',
          hostCAKeys: [makeCA().blob], hostname: '127.0.0.1', onHostRejected: (r) => rejected.push(r),
        }),
      }, 'echo hello');
      assert.match(res.error?.message ?? '', /Host denied/);
      assert.equal(res.stdout, '');
      assert.equal(rejected.length, 1);
      assert.match(rejected[0] ?? '', /signed by an unknown certificate authority/);
    } finally {
      await sshd.stop();
    }
  }));

  test('a user certificate without the login as principal is refused by sshd', () => withTempDir(async (dir) => {
    const hostCA = makeCA();
    const userCA = makeCA();
    const hostKey = makeKey();
    const sshd = await startSshd(dir, { hostKey, hostCertLine: hostCert(hostCA, hostKey), userCA });
    try {
      const key = makeKey();
      const res = await ssh2Exec({
        host: '127.0.0.1', port: sshd.port,
        ...sshClientAuthConfig({
          privateKeyPEM: key.pem, certLine: userCert(userCA, key, { logins: ['alice'] }), username: 'root',
          hostCAKeys: [hostCA.blob], hostname: '127.0.0.1',
        }),
      }, 'echo hello');
      assert.match(res.error?.message ?? '', /All configured authentication methods failed/);
      assert.match(sshd.log(), /name is not a listed principal|not in the list of principals|Certificate invalid/i);
    } finally {
      await sshd.stop();
    }
  }));
});
