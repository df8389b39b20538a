/**
 * @module sshutils/ssh2Roundtrip.test
 * Both ends ours: an ssh2 Client configured by sshClientAuthConfig against an ssh2 Server using
 * sshServerHostKeys + verifyUserCertAuth. Certificates go both ways; the client refuses a host with a
 * plain key or a certificate for another name, and the server refuses an expired user certificate.
 *
 * Patches covered: 002 and 004 together (certificate host keys end to end, including RSA's
 * rsa-sha2-512-cert-v01 negotiation and hash), 003 (user certificate signatures).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyAlgorithm } from '@teleport-ts/api/keys';
import { blobKeyType } from '@teleport-ts/api/sshcert/publicKey';
import { sshClientAuthConfig } from './clientAuth.ts';
import { sshServerHostKeys } from './hostKeys.ts';
import { clockAgo, hostCert, makeCA, makeKey, ssh2Exec, startSSH2Server, userCert } from './testkit.ts';

describe('ssh2 client <-> ssh2 server with certificates', () => {
  const matrix: [KeyAlgorithm, KeyAlgorithm][] = [['ed25519', 'ed25519'], ['ecdsa-p256', 'ecdsa-p256'], ['rsa-2048', 'rsa-2048']];
  for (const [hostAlg, userAlg] of matrix) {
    test(`exec works: ${hostAlg} host certificate, ${userAlg} user certificate`, async () => {
      const hostCA = makeCA();
      const userCA = makeCA('ecdsa-p256');
      const hostKey = makeKey(hostAlg);
      const server = await startSSH2Server({
        hostKeys: sshServerHostKeys({ privateKeyPEM: hostKey.openssh, hostCertLine: hostCert(hostCA, hostKey) }),
        userCAKeys: [userCA.blob],
      });
      try {
        const key = makeKey(userAlg);
        let hostKeyFormat = '';
        const res = await ssh2Exec({
          host: '127.0.0.1', port: server.port,
          ...sshClientAuthConfig({ privateKeyPEM: key.pem, certLine: userCert(userCA, key), username: 'alice', hostCAKeys: [hostCA.blob], hostname: 'node-uuid-1' }),
          debug: (m) => (hostKeyFormat = /Handshake: Host key format: (\S+)/.exec(m)?.[1] ?? hostKeyFormat),
        }, 'echo hello');
        assert.equal(res.error, undefined);
        assert.equal(res.stdout, 'hello\n');
        assert.equal(res.code, 0);
        const expected = hostAlg === 'rsa-2048' ? 'rsa-sha2-512-cert-v01@openssh.com' : `${blobKeyType(hostKey.blob)}-cert-v01@openssh.com`;
        assert.equal(hostKeyFormat, expected);
        const last = server.results.at(-1);
        assert.ok(last?.ok && last.proven);
        assert.equal(server.algos.at(-1), userAlg === 'rsa-2048' ? 'rsa-sha2-512-cert-v01@openssh.com' : last.cert.keyType);
      } finally {
        await server.close();
      }
    });
  }

  test('the client refuses a plain host key and a certificate for another host', async () => {
    const hostCA = makeCA();
    const hostKey = makeKey();
    const plain = await startSSH2Server({ hostKeys: [{ key: hostKey.openssh }], userCAKeys: [] });
    const certified = await startSSH2Server({
      hostKeys: sshServerHostKeys({ privateKeyPEM: hostKey.pem, hostCertLine: hostCert(hostCA, hostKey) }),
      userCAKeys: [],
    });
    try {
      const key = makeKey();
      for (const [server, hostname, reason] of [
        [plain, '127.0.0.1', /presented a plain ssh-ed25519 key .* instead of a certificate/],
        [certified, 'other-host', /host 'other-host' is not a principal of the certificate/],
      ] as const) {
        const rejected: string[] = [];
        const res = await ssh2Exec({
          host: '127.0.0.1', port: server.port,
          ...sshClientAuthConfig({
            privateKeyPEM: key.pem, certLine: userCert(makeCA(), key), username: 'root',
            hostCAKeys: [hostCA.blob], hostname, onHostRejected: (r) => rejected.push(r),
          }),
        }, 'echo hello');
        assert.match(res.error?.message ?? '', /Host denied/);
        assert.match(rejected[0] ?? '', reason);
        assert.equal(server.results.length, 0);
      }
    } finally {
      await plain.close();
      await certified.close();
    }
  });

  test('the server refuses an expired user certificate and says why', async () => {
    const hostCA = makeCA();
    const userCA = makeCA();
    const hostKey = makeKey();
    const server = await startSSH2Server({
      hostKeys: sshServerHostKeys({ privateKeyPEM: hostKey.pem, hostCertLine: hostCert(hostCA, hostKey) }),
      userCAKeys: [userCA.blob],
    });
    try {
      const key = makeKey();
      const res = await ssh2Exec({
        host: '127.0.0.1', port: server.port,
        ...sshClientAuthConfig({
          privateKeyPEM: key.pem, certLine: userCert(userCA, key, { clock: clockAgo(3 * 3_600_000) }), username: 'root',
          hostCAKeys: [hostCA.blob], hostname: 'localhost',
        }),
      }, 'echo hello');
      assert.match(res.error?.message ?? '', /All configured authentication methods failed/);
      const failure = server.results[0];
      assert.ok(failure && !failure.ok);
      assert.equal(failure.code, 'expired');
      assert.equal(failure.username, 'alice');
      assert.match(failure.reason, /expired 2h\d*m? ago: run 'tsh login'/);
    } finally {
      await server.close();
    }
  });
});
