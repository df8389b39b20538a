/**
 * @module sshcert/certificate.test
 * The certificate codec: golden encodings (Ed25519 signatures are deterministic, so a fixed nonce,
 * serial and times give fixed bytes), round trips for every subject/CA key pairing, tampering, and
 * each verification failure with its error class. Set UPDATE_GOLDEN=1 to rewrite the golden files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sign } from 'node:crypto';
import { AccessDeniedError, BadParameterError, TeleportError, TrustError } from '../errors.ts';
import { SSHWriter } from './wire.ts';
import { formatAuthorizedKey, sshFingerprint, sshPublicKeyBlob } from './publicKey.ts';
import {
  CERT_VALID_FOREVER, certificateSignedData, decodeCertificate, encodeCertificate, formatCertificateLine,
  parseCertificateLine, signCertificate, verifyCertificate, type SSHCertificate,
} from './certificate.ts';
import { KEY_KINDS, T0, TESTDATA, fixtureBlob, goldenHostFields, goldenUserFields, loadKey } from './testdata/fixtures.ts';

const at = (seconds: number): Date => new Date(seconds * 1000);
const NOW = at(T0);

async function golden(name: string, actual: string): Promise<void> {
  const path = join(TESTDATA, name);
  if (process.env.UPDATE_GOLDEN === '1') await writeFile(path, actual);
  assert.equal(actual, await readFile(path, 'utf8'), `${name} changed; rerun with UPDATE_GOLDEN=1 if intended`);
}

test('golden user certificate (Ed25519 CA, Ed25519 subject)', async () => {
  const blob = signCertificate(goldenUserFields(await fixtureBlob('subject-ed25519')), await loadKey('ca-ed25519'));
  const line = formatCertificateLine(blob, 'alice');
  await golden('golden-user-cert.pub', `${line}\n`);
  const cert = decodeCertificate(parseCertificateLine(line));
  assert.equal(cert.keyType, 'ssh-ed25519-cert-v01@openssh.com');
  assert.deepEqual(cert.principals, ['alice', 'root']);
  assert.deepEqual(Object.keys(cert.extensions), ['login-ip', 'permit-port-forwarding', 'permit-pty', 'teleport-roles']);
});

test('golden host certificate (Ed25519 CA, ECDSA subject, no expiry)', async () => {
  const blob = signCertificate(goldenHostFields(await fixtureBlob('subject-ecdsa')), await loadKey('ca-ed25519'));
  await golden('golden-host-cert.pub', `${formatCertificateLine(blob)}\n`);
  // "Forever" is the all-ones uint64 on the wire, just before the options.
  const signed = certificateSignedData(blob);
  assert.ok(signed.includes(Buffer.alloc(8, 0xff)));
  assert.equal(decodeCertificate(blob).validBefore, CERT_VALID_FOREVER);
});

test('the golden encoding has the PROTOCOL.certkeys layout', async () => {
  const subject = await fixtureBlob('subject-ed25519');
  const ca = await loadKey('ca-ed25519');
  const fields = goldenUserFields(subject);
  const blob = signCertificate(fields, ca);
  const tuple = (name: string, value: string): SSHWriter =>
    new SSHWriter().string(name).string(value === '' ? Buffer.alloc(0) : new SSHWriter().string(value).finish());
  // Built by hand from the spec, in canonical (sorted) option order.
  const expected = new SSHWriter()
    .string('ssh-ed25519-cert-v01@openssh.com').string(fields.nonce as Buffer).raw(subject.subarray(4 + 11))
    .uint64(42n).uint32(1).string('alice')
    .string(new SSHWriter().string('alice').string('root').finish())
    .uint64(BigInt(T0 - 60)).uint64(BigInt(T0 + 43200))
    .string(tuple('source-address', '10.0.0.0/8,192.168.1.1/32').finish())
    .string(Buffer.concat([tuple('login-ip', '192.168.1.1').finish(), tuple('permit-port-forwarding', '').finish(),
      tuple('permit-pty', '').finish(), tuple('teleport-roles', '{"roles":["access","editor"]}').finish()]))
    .string('').string(sshPublicKeyBlob(ca))
    .finish();
  assert.equal(certificateSignedData(blob).toString('hex'), expected.toString('hex'));
});

for (const caKind of KEY_KINDS) {
  for (const subjectKind of KEY_KINDS) {
    test(`round trip: ${subjectKind} subject signed by ${caKind} CA`, async () => {
      const ca = await loadKey(`ca-${caKind}`);
      const fields = goldenUserFields(await fixtureBlob(`subject-${subjectKind}`));
      const blob = signCertificate(fields, ca);
      const cert = decodeCertificate(blob);
      const { nonce: _nonce, ...rest } = fields;
      assert.deepEqual({ ...cert, nonce: undefined, keyType: undefined, signatureKey: undefined, signature: undefined },
        { ...rest, nonce: undefined, keyType: undefined, signatureKey: undefined, signature: undefined });
      assert.ok(cert.signatureKey.equals(sshPublicKeyBlob(ca)));
      assert.ok(encodeCertificate(cert).equals(blob));
      const ok = verifyCertificate(blob, { now: NOW, trustedCAKeys: [sshPublicKeyBlob(ca)], principal: 'root', certType: 'user' });
      assert.equal(ok.keyId, 'alice');
      // The decoded object verifies too (re-encoded canonically).
      verifyCertificate(cert, { now: NOW, trustedCAKeys: [sshPublicKeyBlob(ca)] });
    });
  }

  test(`tampering with any byte of the signed part fails (${caKind} CA)`, async () => {
    const ca = await loadKey(`ca-${caKind}`);
    const blob = signCertificate(goldenUserFields(await fixtureBlob('subject-ed25519')), ca);
    const signedLength = certificateSignedData(blob).length;
    const trusted = [sshPublicKeyBlob(ca)];
    for (let i = 0; i < signedLength; i++) {
      const bad = Buffer.from(blob);
      bad[i] = (bad[i] as number) ^ 0x01;
      assert.throws(() => verifyCertificate(bad, { now: NOW, trustedCAKeys: trusted }),
        (e) => e instanceof TrustError || e instanceof BadParameterError, `byte ${i} was not covered`);
    }
  });
}

test('verification failures say what is wrong and what to do', async () => {
  const ca = await loadKey('ca-ed25519');
  const blob = signCertificate(goldenUserFields(await fixtureBlob('subject-ed25519')), ca);
  const trusted = [sshPublicKeyBlob(ca)];
  const other = await fixtureBlob('ca-ecdsa');

  assert.throws(() => verifyCertificate(blob, { now: NOW, trustedCAKeys: [other] }), (e) =>
    e instanceof TrustError && e.message === `SSH certificate is signed by an unknown certificate authority (${sshFingerprint(trusted[0] as Buffer)})`);
  assert.throws(() => verifyCertificate(blob, { now: at(T0 + 43200 + 300), trustedCAKeys: trusted }), (e) =>
    e instanceof TrustError && e.message === "SSH certificate expired 5m ago: run 'tsh login'");
  // valid-before is exclusive, valid-after inclusive (as in OpenSSH).
  assert.throws(() => verifyCertificate(blob, { now: at(T0 + 43200), trustedCAKeys: trusted }), /expired 0s ago/);
  verifyCertificate(blob, { now: at(T0 - 60), trustedCAKeys: trusted });
  assert.throws(() => verifyCertificate(blob, { now: at(T0 - 60 - 3725), trustedCAKeys: trusted }), (e) =>
    e instanceof TrustError && /not valid for another 1h2m: check that this machine's clock/.test(e.message));
  assert.throws(() => verifyCertificate(blob, { now: NOW, trustedCAKeys: trusted, principal: 'bob' }), (e) =>
    e instanceof AccessDeniedError && e.message === "login 'bob' is not a principal of the certificate (principals: alice, root)");
  assert.throws(() => verifyCertificate(blob, { now: NOW, trustedCAKeys: trusted, certType: 'host' }), (e) =>
    e instanceof AccessDeniedError && /expected an SSH host certificate but got a user certificate/.test(e.message));

  const host = signCertificate(goldenHostFields(await fixtureBlob('subject-ed25519')), ca);
  verifyCertificate(host, { now: at(4e9), trustedCAKeys: trusted, principal: 'host-1', certType: 'host' });
  assert.throws(() => verifyCertificate(host, { now: NOW, principal: 'db.example.com' }), (e) =>
    e instanceof AccessDeniedError && /^host 'db.example.com' is not a principal/.test(e.message));
});

test('a certificate without principals is not valid for any named login', async () => {
  const ca = await loadKey('ca-ed25519');
  const blob = signCertificate({ ...goldenUserFields(await fixtureBlob('subject-ed25519')), principals: [] }, ca);
  assert.throws(() => verifyCertificate(blob, { now: NOW, principal: 'root' }), /\(principals: none\)/);
});

test('an RSA CA signature made with SHA-1 (ssh-rsa) is refused', async () => {
  const ca = await loadKey('ca-rsa');
  const blob = signCertificate(goldenUserFields(await fixtureBlob('subject-ed25519')), ca);
  const signed = certificateSignedData(blob);
  const sha1 = new SSHWriter().string('ssh-rsa').string(sign('sha1', signed, ca)).finish();
  const forged = new SSHWriter().raw(signed).string(sha1).finish();
  assert.throws(() => verifyCertificate(forged, { now: NOW, trustedCAKeys: [sshPublicKeyBlob(ca)] }), /invalid signature/);
});

test('options and extensions: flags are empty, values are wrapped, order is canonical', async () => {
  const fields = { ...goldenUserFields(await fixtureBlob('subject-ed25519')), extensions: { 'z-flag': '', 'a-value': 'x', 'permit-pty': '' } };
  const cert = decodeCertificate(signCertificate(fields, await loadKey('ca-ed25519')));
  assert.deepEqual(Object.keys(cert.extensions), ['a-value', 'permit-pty', 'z-flag']);
  assert.deepEqual(cert.extensions, { 'a-value': 'x', 'permit-pty': '', 'z-flag': '' });
});

test('option and extension names are ordered by their UTF-8 bytes, not by UTF-16 code units', async () => {
  // U+FFFD is EF BF BD in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 it sorts after it.
  const names = ['\u{1F600}', '\uFFFD', 'é', 'z', 'a'];
  const fields = { ...goldenUserFields(await fixtureBlob('subject-ed25519')), extensions: Object.fromEntries(names.map((n, i) => [n, i % 2 ? '' : `v${n}`])) };
  const cert = decodeCertificate(signCertificate(fields, await loadKey('ca-ed25519')));
  assert.deepEqual(Object.keys(cert.extensions), ['a', 'z', 'é', '\uFFFD', '\u{1F600}']);
  assert.deepEqual(cert.extensions, fields.extensions);
});

test('the CA key blob follows the CA key object, also when another object holds the same key', async () => {
  const fields = goldenUserFields(await fixtureBlob('subject-ed25519'));
  for (const kind of KEY_KINDS) {
    const ca = await loadKey(`ca-${kind}`);
    const again = await loadKey(`ca-${kind}`);
    for (const key of [ca, ca, again]) {
      const cert = verifyCertificate(signCertificate(fields, key), { now: NOW, trustedCAKeys: [sshPublicKeyBlob(ca)] });
      assert.ok(cert.signatureKey.equals(sshPublicKeyBlob(ca)), kind);
    }
  }
  const other = await loadKey('subject-ecdsa');
  assert.ok(decodeCertificate(signCertificate(fields, other)).signatureKey.equals(sshPublicKeyBlob(other)));
});

test('certificate lines: format, parse and refuse plain keys', async () => {
  const subject = await fixtureBlob('subject-ed25519');
  const blob = signCertificate(goldenUserFields(subject), await loadKey('ca-ed25519'));
  assert.ok(parseCertificateLine(formatCertificateLine(blob, 'c')).equals(blob));
  assert.throws(() => parseCertificateLine(formatAuthorizedKey(subject)), /expected an OpenSSH certificate, got a plain ssh-ed25519 key/);
  assert.throws(() => formatCertificateLine(subject), BadParameterError);
});

test('fuzz: mutated and truncated blobs only ever raise TeleportErrors', async () => {
  const blobs = await Promise.all(KEY_KINDS.map(async (k) =>
    signCertificate(goldenUserFields(await fixtureBlob(`subject-${k}`)), await loadKey(`ca-${k}`))));
  let seed = 12345;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let i = 0; i < 3000; i++) {
    const base = blobs[i % blobs.length] as Buffer;
    let bad = Buffer.from(base);
    const mode = rand(3);
    if (mode === 0) bad = bad.subarray(0, rand(bad.length));
    else if (mode === 1) for (let j = 0; j <= rand(4); j++) bad[rand(bad.length)] = rand(256);
    else bad.writeUInt32BE(rand(2 ** 31), rand(bad.length - 4)); // corrupt a length field-sized span
    try {
      verifyCertificate(bad, { now: NOW });
    } catch (err) {
      assert.ok(err instanceof TeleportError, `unexpected ${String(err)} for mutation ${i}`);
    }
  }
});

test('decoding reports malformed input clearly', async () => {
  const blob = signCertificate(goldenUserFields(await fixtureBlob('subject-ed25519')), await loadKey('ca-ed25519'));
  assert.throws(() => decodeCertificate(blob.subarray(0, 100)), /SSH certificate is truncated/);
  assert.throws(() => decodeCertificate(Buffer.concat([blob, Buffer.of(0)])), /trailing/);
  const plain = await fixtureBlob('subject-ed25519');
  assert.throws(() => decodeCertificate(plain), /not an OpenSSH certificate type/);
  const cert: SSHCertificate = decodeCertificate(blob);
  assert.throws(() => encodeCertificate({ ...cert, keyType: 'ssh-rsa-cert-v01@openssh.com' }), /does not match its ssh-ed25519 key/);
});
