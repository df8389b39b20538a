/**
 * @module sshutils/userCertAuth.test
 * verifyUserCertAuth and verifyHostCert without a network: every refusal code with its message, the
 * query phase, proof of possession in each signature form ssh2 hands over (SSH blobs, ECDSA r/s as
 * mpints, RSA hash named by rsa-sha2-256/512-cert), critical options and source-address pinning.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, sign } from 'node:crypto';
import { FakeClock } from '@teleport-ts/api/clock';
import { decodeCertificate, encodeCertificate, parseCertificateLine, signCertificate } from '@teleport-ts/api/sshcert/certificate';
import { signSSH } from '@teleport-ts/api/sshcert/signature';
import { SSHWriter } from '@teleport-ts/api/sshcert/wire';
import { sourceAddressAllows, verifyHostCert, verifyUserCertAuth, type PublicKeyAttempt, type UserCertAuthResult } from './userCertAuth.ts';
import { hostCert, makeCA, makeKey, userCert, type TestKey } from './testkit.ts';

const userCA = makeCA();
const ed = makeKey('ed25519');
const edCert = parseCertificateLine(userCert(userCA, ed));
const blob = randomBytes(64); // stands in for ssh2's ctx.blob (session id + userauth request)

/** A publickey attempt as ssh2 builds it; signs `blob` with `signer` when given. */
function attempt(algo: string, data: Buffer, signer?: TestKey, signature?: Buffer): PublicKeyAttempt {
  const ctx: PublicKeyAttempt = { key: { algo, data } };
  if (signer || signature) {
    ctx.blob = blob;
    ctx.signature = signature ?? signSSH((signer as TestKey).key, blob);
  }
  return ctx;
}

const verify = (ctx: PublicKeyAttempt, over: { login?: string; now?: Date; remoteAddr?: string } = {}): Promise<UserCertAuthResult> =>
  verifyUserCertAuth(ctx, { userCAKeys: [userCA.blob], now: over.now ?? new Date(), login: over.login ?? 'root', ...(over.remoteAddr && { remoteAddr: over.remoteAddr }) });

async function refused(ctx: PublicKeyAttempt, code: string, reason: RegExp, over: Parameters<typeof verify>[1] = {}): Promise<void> {
  const res = await verify(ctx, over);
  assert.ok(!res.ok, `expected ${code}`);
  assert.equal(res.code, code, res.reason);
  assert.match(res.reason, reason);
}

describe('verifyUserCertAuth', () => {
  test('query phase accepts without a proof; signed phase proves possession', async () => {
    const query = await verify(attempt('ssh-ed25519-cert-v01@openssh.com', edCert));
    assert.ok(query.ok && !query.proven);
    const signed = await verify(attempt('ssh-ed25519-cert-v01@openssh.com', edCert, ed));
    assert.ok(signed.ok && signed.proven);
    assert.equal(signed.identity.username, 'alice');
    assert.deepEqual(signed.identity.logins, ['root', 'alice']);
  });

  test('ECDSA signatures come as SSH mpints; a DER signature is refused', async () => {
    const ec = makeKey('ecdsa-p256');
    const cert = parseCertificateLine(userCert(userCA, ec));
    const res = await verify(attempt('ecdsa-sha2-nistp256-cert-v01@openssh.com', cert, ec));
    assert.ok(res.ok && res.proven);
    const der = new SSHWriter().string('ecdsa-sha2-nistp256').string(sign('sha256', blob, ec.key)).finish();
    await refused(attempt('ecdsa-sha2-nistp256-cert-v01@openssh.com', cert, undefined, der), 'bad_signature', /does not verify/);
  });

  test('RSA: the hash follows rsa-sha2-256/512-cert, and the signature name must match it', async () => {
    const rsa = makeKey('rsa-2048');
    const cert = parseCertificateLine(userCert(userCA, rsa));
    const sig256 = new SSHWriter().string('rsa-sha2-256').string(sign('sha256', blob, rsa.key)).finish();
    const ok256 = await verify(attempt('rsa-sha2-256-cert-v01@openssh.com', cert, undefined, sig256));
    assert.ok(ok256.ok && ok256.proven);
    const ok512 = await verify(attempt('rsa-sha2-512-cert-v01@openssh.com', cert, rsa));
    assert.ok(ok512.ok && ok512.proven);
    await refused(attempt('rsa-sha2-256-cert-v01@openssh.com', cert, rsa), 'bad_signature', /rsa-sha2-256 signature/);
    const sha1 = new SSHWriter().string('ssh-rsa').string(sign('sha1', blob, rsa.key)).finish();
    await refused(attempt('ssh-rsa-cert-v01@openssh.com', cert, undefined, sha1), 'bad_signature', /SHA-1/);
  });

  test('a signature by another key is refused', async () => {
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', edCert, makeKey()), 'bad_signature', /does not hold the certificate's private key/);
  });

  test('refusal codes and messages', async () => {
    await refused(attempt('ssh-ed25519', ed.blob), 'not_certificate', /plain ssh-ed25519 key \(SHA256:.*run 'tsh login'/);
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', Buffer.from('junk')), 'malformed', /malformed|SSH certificate/);
    await refused(attempt('ecdsa-sha2-nistp256-cert-v01@openssh.com', edCert), 'malformed', /offered under the algorithm/);
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', parseCertificateLine(userCert(makeCA(), ed))), 'unknown_ca', /unknown certificate authority \(SHA256:/);
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', parseCertificateLine(hostCert(userCA, ed))), 'wrong_cert_type', /expected an SSH user certificate but got a host/);
    const later = new FakeClock(Date.now() + 2 * 3_600_000);
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', parseCertificateLine(userCert(userCA, ed, { clock: later }))), 'not_yet_valid', /clock/);
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', edCert), 'expired', /expired 1d\d*h? ago: run 'tsh login'/, { now: new Date(Date.now() + 25 * 3_600_000) });
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', edCert), 'login_not_permitted', /login 'bob' is not a principal.*\(principals: root, alice\)/, { login: 'bob' });
    const tampered = encodeCertificate({ ...decodeCertificate(edCert), principals: ['root', 'bob'] });
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', tampered), 'bad_ca_signature', /invalid signature/, { login: 'bob' });
  });

  test('requirePrincipal: false skips only the principal check (the proxy jump hop)', async () => {
    const opts = { userCAKeys: [userCA.blob], login: 'bob', requirePrincipal: false };
    const ok = await verifyUserCertAuth(attempt('ssh-ed25519-cert-v01@openssh.com', edCert, ed), { ...opts, now: new Date() });
    assert.ok(ok.ok && ok.proven);
    const expired = await verifyUserCertAuth(attempt('ssh-ed25519-cert-v01@openssh.com', edCert, ed), { ...opts, now: new Date(Date.now() + 25 * 3_600_000) });
    assert.ok(!expired.ok && expired.code === 'expired');
  });

  test('a refusal carries the username and fingerprint for the audit event', async () => {
    const res = await verify(attempt('ssh-ed25519-cert-v01@openssh.com', edCert), { login: 'bob' });
    assert.ok(!res.ok);
    assert.equal(res.username, 'alice');
    assert.equal(res.login, 'bob');
    assert.match(res.fingerprint ?? '', /^SHA256:/);
    assert.equal(res.error.code, 'access_denied');
  });

  test('critical options: source-address is enforced, unknown options refuse the certificate', async () => {
    const pinned = parseCertificateLine(userCert(userCA, ed, { sourceAddress: '10.0.0.0/8, 192.168.1.7' }));
    const ok = await verify(attempt('ssh-ed25519-cert-v01@openssh.com', pinned, ed), { remoteAddr: '::ffff:10.1.2.3' });
    assert.ok(ok.ok && ok.proven);
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', pinned), 'source_address', /only be used from 10\.0\.0\.0\/8,192\.168\.1\.7\/32, not from 127\.0\.0\.1/, { remoteAddr: '127.0.0.1' });
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', pinned), 'source_address', /unknown address/);
    const forced = signCertificate({
      ...decodeCertificate(edCert), nonce: randomBytes(32), criticalOptions: { 'force-command': '/bin/true' },
    }, userCA.key);
    await refused(attempt('ssh-ed25519-cert-v01@openssh.com', forced), 'unsupported_critical_option', /force-command/);
  });

  test('sourceAddressAllows', () => {
    assert.ok(sourceAddressAllows('10.0.0.0/8', '10.9.9.9'));
    assert.ok(sourceAddressAllows('192.168.1.7/32,fd00::/8', 'fd00::1'));
    assert.ok(!sourceAddressAllows('10.0.0.0/8', '11.0.0.1'));
    assert.ok(!sourceAddressAllows('not-an-ip', '10.0.0.1'));
  });
});

describe('verifyHostCert', () => {
  const hostCA = makeCA('ecdsa-p256');
  const hostKey = makeKey();
  const certBlob = parseCertificateLine(hostCert(hostCA, hostKey, 'host-uuid-7'));
  const opts = { hostCAKeys: [hostCA.blob], now: new Date() };

  test('accepts the host id, node name and loopback principals', () => {
    for (const hostname of ['host-uuid-7', 'host-uuid-7.example.com', 'node1', '127.0.0.1', 'localhost']) {
      const res = verifyHostCert(certBlob, { ...opts, hostname });
      assert.ok(res.ok, hostname);
      assert.equal(res.cert.keyId, 'host-uuid-7.example.com');
    }
  });

  test('refuses plain keys, other CAs, other names, user certificates and expired certificates', () => {
    const cases: [Buffer, string, RegExp, Date?][] = [
      [hostKey.blob, 'node1', /plain ssh-ed25519 key .* instead of a certificate/],
      [parseCertificateLine(hostCert(makeCA(), hostKey)), 'node1', /unknown certificate authority/],
      [certBlob, 'evil.example.com', /host 'evil\.example\.com' is not a principal/],
      [parseCertificateLine(userCert(hostCA, hostKey)), 'root', /expected an SSH host certificate/],
      [certBlob, 'node1', /expired .* ago/, new Date(Date.now() + 11 * 365 * 86_400_000)],
      [Buffer.from('junk'), 'node1', /malformed|SSH key/],
    ];
    for (const [blob, hostname, reason, now] of cases) {
      const res = verifyHostCert(blob, { ...opts, hostname, now: now ?? opts.now });
      assert.ok(!res.ok, hostname);
      assert.match(res.reason, reason);
      assert.ok(res.reason.startsWith(`host ${hostname}`));
    }
  });
});
