/**
 * @module sshutils/certKey.test
 * The ssh2 key objects behind sshServerHostKeys and sshClientAuthConfig: what they offer, how they
 * sign, and the configuration mistakes they refuse up front.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import { parseCertificateLine } from '@teleport-ts/api/sshcert/certificate';
import { verifySSHSignature } from '@teleport-ts/api/sshcert/signature';
import { SSHWriter } from '@teleport-ts/api/sshcert/wire';
import { loadCertKey, loadPrivateKey } from './certKey.ts';
import { CLIENT_HOST_KEY_ALGORITHMS, sshClientAuthConfig } from './clientAuth.ts';
import { sshServerHostKeys } from './hostKeys.ts';
import { hostCert, makeCA, makeKey, userCert } from './testkit.ts';

const ca = makeCA();

describe('certificate keys for ssh2', () => {
  test('host keys: the certificate under its algorithm(s), then the plain key', () => {
    const ed = makeKey('ed25519');
    const keys = sshServerHostKeys({ privateKeyPEM: ed.pem, hostCertLine: hostCert(ca, ed) });
    assert.deepEqual(keys.map((k) => (typeof k.key === 'object' && !Buffer.isBuffer(k.key) ? k.key.type : '?')), ['ssh-ed25519-cert-v01@openssh.com', 'ssh-ed25519']);
    const rsa = makeKey('rsa-2048');
    const rsaKeys = sshServerHostKeys({ privateKeyPEM: rsa.openssh, hostCertLine: hostCert(ca, rsa) });
    assert.deepEqual(rsaKeys.map((k) => (typeof k.key === 'object' && !Buffer.isBuffer(k.key) ? k.key.type : '?')),
      ['rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', 'ssh-rsa']);
  });

  test('a certified key presents the certificate blob and signs with the private key (RSA hash from the algorithm)', () => {
    const rsa = makeKey('rsa-2048');
    const line = userCert(ca, rsa);
    const loaded = loadCertKey(rsa.pem, line, 'user');
    const data = Buffer.from('exchange hash');
    for (const [key, algo, hash] of [[loaded.certified[0], 'rsa-sha2-512', 'sha512'], [loaded.certified[1], 'rsa-sha2-256', 'sha256']] as const) {
      assert.ok(key?.getPublicSSH().equals(parseCertificateLine(line)));
      assert.ok(key?.isPrivateKey());
      const sig = new SSHWriter().string(algo).string(key?.sign(data) ?? Buffer.alloc(0)).finish();
      assert.ok(verifySSHSignature(rsa.blob, sig, data), hash);
    }
  });

  test('refuses a certificate for another key, or of the wrong type', () => {
    const a = makeKey();
    const b = makeKey();
    assert.throws(() => sshServerHostKeys({ privateKeyPEM: a.pem, hostCertLine: hostCert(ca, b) }), (e: unknown) =>
      e instanceof BadParameterError && /do not belong together/.test(e.message));
    assert.throws(() => sshServerHostKeys({ privateKeyPEM: a.pem, hostCertLine: userCert(ca, a) }), /expected an SSH host certificate/);
    assert.throws(() => sshClientAuthConfig({ privateKeyPEM: a.pem, certLine: hostCert(ca, a), username: 'root', hostCAKeys: [], hostname: 'h' }),
      /expected an SSH user certificate/);
    assert.throws(() => sshClientAuthConfig({ privateKeyPEM: a.pem, certLine: a.blob.toString('base64'), username: 'root', hostCAKeys: [], hostname: 'h' }),
      BadParameterError);
    assert.throws(() => loadPrivateKey('not a key'), BadParameterError);
  });

  test('client config: certificate host key algorithms first, one publickey attempt per algorithm', () => {
    const ec = makeKey('ecdsa-p256');
    const cfg = sshClientAuthConfig({ privateKeyPEM: ec.openssh, certLine: userCert(ca, ec), username: 'root', hostCAKeys: [ca.blob], hostname: 'h' });
    assert.deepEqual(cfg.algorithms.serverHostKey, [...CLIENT_HOST_KEY_ALGORITHMS]);
    assert.ok(CLIENT_HOST_KEY_ALGORITHMS.slice(0, 4).every((a) => a.endsWith('-cert-v01@openssh.com')));
    assert.ok(Array.isArray(cfg.authHandler) && cfg.authHandler.length === 1);
    assert.equal(cfg.username, 'root');
    assert.equal(cfg.hostVerifier(ec.blob), false, 'a plain host key is refused');
  });
});
