/**
 * @module sshcert/sshkeygen.test
 * Interoperability with the real OpenSSH `ssh-keygen`: it reads (and signature-checks) our certificates
 * and private keys, its certificates and keys decode and verify with our code, and fingerprints agree.
 * Skipped when ssh-keygen is not installed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadParameterError } from '../errors.ts';
import { blobKeyType, formatAuthorizedKey, parseAuthorizedKey, sshFingerprint, sshPublicKeyBlob } from './publicKey.ts';
import { formatOpenSSHPrivateKey, parseOpenSSHPrivateKey } from './privateKey.ts';
import { signSSH, verifySSHSignature } from './signature.ts';
import { decodeCertificate, encodeCertificate, formatCertificateLine, parseCertificateLine, signCertificate, verifyCertificate } from './certificate.ts';
import { KEY_KINDS, T0, fixtureBlob, goldenHostFields, goldenUserFields, hasSshKeygen, loadKey, sshKeygen, withTempDir } from './testdata/fixtures.ts';

const CA_LABEL = { ed25519: 'ED25519', ecdsa: 'ECDSA', rsa: 'RSA' } as const;
const CA_ALGO = { ed25519: 'ssh-ed25519', ecdsa: 'ecdsa-sha2-nistp256', rsa: 'rsa-sha2-512' } as const;
const KEYGEN_TYPE = { ed25519: ['-t', 'ed25519'], ecdsa: ['-t', 'ecdsa', '-b', '256'], rsa: ['-t', 'rsa', '-b', '2048'] } as const;
const NOW = new Date(T0 * 1000);
const hasSshAgent = !spawnSync('ssh-agent', ['-?'], { stdio: 'ignore' }).error;

/** `ssh-keygen -L` output with its indentation collapsed to single spaces, one entry per line. */
function listCert(path: string): string[] {
  return sshKeygen(['-L', '-f', path]).split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
}

describe('ssh-keygen interoperability', { skip: !hasSshKeygen && 'ssh-keygen is not installed' }, () => {
  for (const [i, caKind] of KEY_KINDS.entries()) {
    test(`ssh-keygen -L reads our user and host certificates (${caKind} CA)`, () => withTempDir(async (dir) => {
      const ca = await loadKey(`ca-${caKind}`);
      const caFp = sshFingerprint(sshPublicKeyBlob(ca));
      const userPath = join(dir, 'user-cert.pub');
      await writeFile(userPath, formatCertificateLine(signCertificate(goldenUserFields(await fixtureBlob(`subject-${caKind}`)), ca), 'alice') + '\n');
      const user = listCert(userPath);
      for (const line of [
        `Type: ${blobKeyType(await fixtureBlob(`subject-${caKind}`))}-cert-v01@openssh.com user certificate`,
        `Signing CA: ${CA_LABEL[caKind]} ${caFp} (using ${CA_ALGO[caKind]})`,
        'Key ID: "alice"',
        'Serial: 42',
        'Valid: from 2025-12-31T23:59:00 to 2026-01-01T12:00:00',
        'source-address 10.0.0.0/8,192.168.1.1/32',
        'permit-port-forwarding',
        'permit-pty',
      ]) assert.ok(user.includes(line), `missing "${line}" in:\n${user.join('\n')}`);
      const principals = user.slice(user.indexOf('Principals:') + 1, user.indexOf('Critical Options:'));
      assert.deepEqual(principals, ['alice', 'root']);
      assert.ok(user.some((l) => l.startsWith('teleport-roles ')));

      const hostKind = KEY_KINDS[(i + 1) % KEY_KINDS.length] as (typeof KEY_KINDS)[number];
      const hostPath = join(dir, 'host-cert.pub');
      await writeFile(hostPath, formatCertificateLine(signCertificate(goldenHostFields(await fixtureBlob(`subject-${hostKind}`)), ca)) + '\n');
      const host = listCert(hostPath);
      assert.ok(host.some((l) => /^Type: \S+-cert-v01@openssh.com host certificate$/.test(l)), host.join('\n'));
      for (const line of ['Key ID: "host-1.example.com"', 'Valid: after 2025-12-31T23:59:00', 'Critical Options: (none)', 'host-1', 'localhost']) {
        assert.ok(host.includes(line), `missing "${line}" in:\n${host.join('\n')}`);
      }
      assert.ok(host.some((l) => l.startsWith('x-teleport-role ')) && host.some((l) => l.startsWith('x-teleport-authority ')));
    }));

    test(`certificates signed by ssh-keygen decode and verify (${caKind} CA)`, () => withTempDir(async (dir) => {
      const ca = await loadKey(`ca-${caKind}`);
      const caPath = join(dir, 'ca');
      await writeFile(caPath, formatOpenSSHPrivateKey(ca, 'test-ca'), { mode: 0o600 });
      const subject = await fixtureBlob('subject-ed25519');
      await writeFile(join(dir, 'user.pub'), formatAuthorizedKey(subject, 'alice') + '\n');
      await writeFile(join(dir, 'host.pub'), formatAuthorizedKey(subject, 'host') + '\n');
      const validity = ['-V', '20251231000000:20260102000000'];
      sshKeygen(['-s', caPath, '-I', 'build-42', '-n', 'a,b', '-z', '99', ...validity, '-O', 'clear', '-O', 'permit-pty',
        '-O', 'extension:teleport-roles={"roles":["x"]}', '-O', 'extension:flag@example.com', '-O', 'source-address=10.0.0.0/8', 'user.pub'], dir);
      sshKeygen(['-s', caPath, '-h', '-I', 'host-1', '-n', 'host-1,host-1.example.com', ...validity, 'host.pub'], dir);

      const userBlob = parseCertificateLine(await readFile(join(dir, 'user-cert.pub'), 'utf8'));
      const trusted = [sshPublicKeyBlob(ca)];
      const user = verifyCertificate(userBlob, { now: NOW, trustedCAKeys: trusted, principal: 'a', certType: 'user' });
      assert.equal(user.keyId, 'build-42');
      assert.equal(user.serial, 99n);
      assert.deepEqual(user.principals, ['a', 'b']);
      assert.deepEqual(user.criticalOptions, { 'source-address': '10.0.0.0/8' });
      assert.deepEqual(user.extensions, { 'flag@example.com': '', 'permit-pty': '', 'teleport-roles': '{"roles":["x"]}' });
      assert.equal(user.validAfter, Date.UTC(2025, 11, 31) / 1000);
      assert.equal(user.validBefore, Date.UTC(2026, 0, 2) / 1000);
      assert.ok(user.publicKey.equals(subject));
      // Our encoder is canonical in the same way as OpenSSH's: re-encoding gives the same bytes.
      assert.ok(encodeCertificate(decodeCertificate(userBlob)).equals(userBlob));

      const hostBlob = parseCertificateLine(await readFile(join(dir, 'host-cert.pub'), 'utf8'));
      const host = verifyCertificate(hostBlob, { now: NOW, trustedCAKeys: trusted, principal: 'host-1.example.com', certType: 'host' });
      assert.equal(host.type, 'host');
      assert.throws(() => verifyCertificate(hostBlob, { now: NOW, trustedCAKeys: trusted, certType: 'user' }), /expected an SSH user certificate/);
    }));

    test(`fingerprints, ssh-keygen -y and ssh-keygen's own keys (${caKind})`, () => withTempDir(async (dir) => {
      const key = await loadKey(`subject-${caKind}`);
      const blob = sshPublicKeyBlob(key);
      await writeFile(join(dir, 'k.pub'), formatAuthorizedKey(blob, 'me') + '\n');
      assert.equal(sshKeygen(['-l', '-f', 'k.pub'], dir).split(' ')[1], sshFingerprint(blob));

      await writeFile(join(dir, 'ours'), formatOpenSSHPrivateKey(key, 'me'), { mode: 0o600 });
      const derived = parseAuthorizedKey(sshKeygen(['-y', '-f', 'ours'], dir));
      assert.ok(derived.blob.equals(blob));

      sshKeygen(['-q', ...KEYGEN_TYPE[caKind], '-N', '', '-C', 'theirs', '-f', 'theirs'], dir);
      const theirs = parseOpenSSHPrivateKey(await readFile(join(dir, 'theirs'), 'utf8'));
      const theirBlob = parseAuthorizedKey(await readFile(join(dir, 'theirs.pub'), 'utf8')).blob;
      assert.ok(sshPublicKeyBlob(theirs).equals(theirBlob));
      const data = Buffer.from('proof of possession');
      assert.ok(verifySSHSignature(theirBlob, signSSH(theirs, data), data));
    }));
  }

  test('ssh-agent accepts our private keys and certificates via ssh-add', { skip: !hasSshAgent && 'ssh-agent is not installed' }, () =>
    withTempDir(async (dir) => {
      const sock = join(dir, 'agent.sock');
      // -D keeps the agent in the foreground as our child, so we can stop it by its own pid.
      const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
        const ca = await loadKey('ca-rsa');
        for (const kind of KEY_KINDS) {
          const key = await loadKey(`subject-${kind}`);
          await writeFile(join(dir, kind), formatOpenSSHPrivateKey(key, kind), { mode: 0o600 });
          const fields = { ...goldenUserFields(sshPublicKeyBlob(key)), validAfter: 0, validBefore: Number.MAX_SAFE_INTEGER };
          await writeFile(join(dir, `${kind}-cert.pub`), formatCertificateLine(signCertificate(fields, ca)) + '\n');
          execFileSync('ssh-add', [join(dir, kind)], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'pipe' });
        }
        const listed = execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
        for (const label of ['(ED25519)', '(ED25519-CERT)', '(ECDSA)', '(ECDSA-CERT)', '(RSA)', '(RSA-CERT)']) {
          assert.ok(listed.includes(label), `missing ${label} in:\n${listed}`);
        }
      } finally {
        agent.kill();
      }
    }));

  test('an ssh-keygen key with a passphrase is refused with a clear message', () => withTempDir(async (dir) => {
    sshKeygen(['-q', '-t', 'ed25519', '-N', 'secret', '-f', 'enc'], dir);
    const text = await readFile(join(dir, 'enc'), 'utf8');
    assert.throws(() => parseOpenSSHPrivateKey(text), (e) =>
      e instanceof BadParameterError && /encrypted with a passphrase \(aes256-ctr\/bcrypt\).*ssh-keygen -p/.test(e.message));
  }));
});
