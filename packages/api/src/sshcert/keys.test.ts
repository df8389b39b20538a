/**
 * @module sshcert/keys.test
 * Public key blobs, authorized_keys lines, fingerprints, private key files and signatures, for all
 * three key kinds, without external tools (the ssh-keygen checks are in sshkeygen.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, sign } from 'node:crypto';
import { BadParameterError } from '../errors.ts';
import { SSHReader, SSHWriter } from './wire.ts';
import {
  blobKeyType, checkPublicKeyBlob, formatAuthorizedKey, parseAuthorizedKey, publicKeyFromBlob, sshFingerprint, sshKeyType, sshPublicKeyBlob,
} from './publicKey.ts';
import { formatOpenSSHPrivateKey, parseOpenSSHPrivateKey } from './privateKey.ts';
import { signSSH, signatureAlgorithm, verifySSHSignature } from './signature.ts';
import { KEY_KINDS, loadKey } from './testdata/fixtures.ts';

const TYPES = { ed25519: 'ssh-ed25519', ecdsa: 'ecdsa-sha2-nistp256', rsa: 'ssh-rsa' } as const;
const SIG_ALGOS = { ed25519: 'ssh-ed25519', ecdsa: 'ecdsa-sha2-nistp256', rsa: 'rsa-sha2-512' } as const;

for (const kind of KEY_KINDS) {
  test(`${kind}: public blob round-trips through node:crypto and authorized_keys`, async () => {
    const key = await loadKey(`subject-${kind}`);
    const blob = sshPublicKeyBlob(key);
    assert.equal(sshKeyType(key), TYPES[kind]);
    assert.equal(blobKeyType(blob), TYPES[kind]);
    assert.ok(sshPublicKeyBlob(publicKeyFromBlob(blob)).equals(blob));
    const line = formatAuthorizedKey(blob, 'alice@laptop');
    assert.match(line, new RegExp(`^${TYPES[kind]} AAAA\\S+ alice@laptop$`));
    const parsed = parseAuthorizedKey(`  ${line}  \n`);
    assert.equal(parsed.type, TYPES[kind]);
    assert.equal(parsed.comment, 'alice@laptop');
    assert.ok(parsed.blob.equals(blob));
    assert.match(sshFingerprint(blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  test(`${kind}: OpenSSH private key file round-trips`, async () => {
    const key = await loadKey(`subject-${kind}`);
    const text = formatOpenSSHPrivateKey(key, 'alice@laptop');
    assert.match(text, /^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,70}\n)+-----END OPENSSH PRIVATE KEY-----\n$/);
    const back = parseOpenSSHPrivateKey(text);
    assert.deepEqual(back.export({ format: 'jwk' }), key.export({ format: 'jwk' }));
  });

  test(`${kind}: signatures verify and name the right algorithm`, async () => {
    const key = await loadKey(`ca-${kind}`);
    const blob = sshPublicKeyBlob(key);
    const data = Buffer.from('data to sign');
    const sig = signSSH(key, data);
    assert.equal(signatureAlgorithm(sig), SIG_ALGOS[kind]);
    assert.equal(verifySSHSignature(blob, sig, data), true);
    assert.equal(verifySSHSignature(blob, sig, Buffer.from('other data')), false);
    const other = sshPublicKeyBlob(await loadKey(`subject-${kind}`));
    assert.equal(verifySSHSignature(other, sig, data), false);
  });
}

test('ECDSA signatures carry r and s as mpints', async () => {
  const sig = signSSH(await loadKey('ca-ecdsa'), Buffer.from('x'));
  const r = new SSHReader(sig);
  assert.equal(r.utf8(), 'ecdsa-sha2-nistp256');
  const inner = new SSHReader(r.string());
  assert.ok(inner.mpint().length <= 32 && inner.mpint().length <= 32);
  inner.done();
});

test('a signature made by another key type is rejected, not confused', async () => {
  const data = Buffer.from('x');
  const edSig = signSSH(await loadKey('ca-ed25519'), data);
  assert.equal(verifySSHSignature(sshPublicKeyBlob(await loadKey('ca-rsa')), edSig, data), false);
  assert.equal(verifySSHSignature(sshPublicKeyBlob(await loadKey('ca-ecdsa')), edSig, data), false);
});

test('RSA: rsa-sha2-256 is accepted, SHA-1 ssh-rsa only when explicitly allowed', async () => {
  const key = await loadKey('ca-rsa');
  const blob = sshPublicKeyBlob(key);
  const data = Buffer.from('x');
  const sha256 = new SSHWriter().string('rsa-sha2-256').string(sign('sha256', data, key)).finish();
  assert.equal(verifySSHSignature(blob, sha256, data), true);
  const sha1 = new SSHWriter().string('ssh-rsa').string(sign('sha1', data, key)).finish();
  assert.equal(verifySSHSignature(blob, sha1, data), false);
  assert.equal(verifySSHSignature(blob, sha1, data, { allowSHA1: true }), true);
});

test('malformed public keys are refused with BadParameterError', async () => {
  const edBlob = sshPublicKeyBlob(await loadKey('subject-ed25519'));
  assert.throws(() => publicKeyFromBlob(Buffer.concat([edBlob, Buffer.of(0)])), /trailing/);
  assert.throws(() => publicKeyFromBlob(new SSHWriter().string('ssh-ed25519').string(Buffer.alloc(31)).finish()), /expected 32/);
  assert.throws(() => publicKeyFromBlob(new SSHWriter().string('ssh-dss').finish()), /unsupported SSH key type "ssh-dss"/);
  const offCurve = new SSHWriter().string('ecdsa-sha2-nistp256').string('nistp256').string(Buffer.concat([Buffer.of(4), Buffer.alloc(64, 1)])).finish();
  assert.throws(() => publicKeyFromBlob(offCurve), BadParameterError);
  const tinyRsa = new SSHWriter().string('ssh-rsa').mpint(65537n).mpint((1n << 511n) + 1n).finish();
  assert.throws(() => publicKeyFromBlob(tinyRsa), /512 bits/);
  const line = formatAuthorizedKey(edBlob).replace('ssh-ed25519', 'ssh-rsa');
  assert.throws(() => parseAuthorizedKey(line), /says "ssh-rsa" but the key inside is "ssh-ed25519"/);
  assert.throws(() => parseAuthorizedKey('garbage'), BadParameterError);
});

test('private key parser refuses encrypted, corrupt and mismatched files', async () => {
  const key = await loadKey('subject-ed25519');
  const text = formatOpenSSHPrivateKey(key);
  const body = Buffer.from(text.split('\n').slice(1, -2).join(''), 'base64');
  const rewrap = (b: Buffer): string => `-----BEGIN OPENSSH PRIVATE KEY-----\n${b.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;

  // Swap the cipher name: the parser must say the key is encrypted rather than fail obscurely.
  // Layout: magic (15 bytes), string "none", string "none", string "" = 35 bytes before the key count.
  const header = new SSHWriter().string('aes256-ctr').string('bcrypt').string('').finish();
  const encrypted = Buffer.concat([body.subarray(0, 15), header, body.subarray(35)]);
  assert.throws(() => parseOpenSSHPrivateKey(rewrap(encrypted)), /encrypted with a passphrase/);

  // Replace the outer public key with another key's: the halves no longer match.
  const other = sshPublicKeyBlob(await loadKey('ca-ed25519'));
  const mismatched = Buffer.from(body);
  const pubOffset = body.indexOf(sshPublicKeyBlob(key));
  other.copy(mismatched, pubOffset);
  assert.throws(() => parseOpenSSHPrivateKey(rewrap(mismatched)), /does not match/);

  assert.throws(() => parseOpenSSHPrivateKey(rewrap(body.subarray(0, body.length - 9))), BadParameterError);
  assert.throws(() => parseOpenSSHPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), /expected a "-----BEGIN OPENSSH/);
  assert.throws(() => formatOpenSSHPrivateKey(publicKeyFromBlob(sshPublicKeyBlob(key))), /needs a private key/);
});

test('checkPublicKeyBlob accepts and refuses exactly what publicKeyFromBlob does', async () => {
  const outcome = (f: () => unknown): string => {
    try {
      f();
      return 'ok';
    } catch (err) {
      return `${(err as Error).constructor.name}: ${(err as Error).message}`;
    }
  };
  const point = Buffer.alloc(65, 7);
  point[0] = 4; // uncompressed, but not on the curve
  const blobs: Buffer[] = [
    ...(await Promise.all(KEY_KINDS.map(async (k) => sshPublicKeyBlob(await loadKey(`subject-${k}`))))),
    // Any 32 bytes are an Ed25519 key to OpenSSL: random ones, all zeros, all ones.
    ...Array.from({ length: 200 }, () => new SSHWriter().string('ssh-ed25519').string(randomBytes(32)).finish()),
    new SSHWriter().string('ssh-ed25519').string(Buffer.alloc(32)).finish(),
    new SSHWriter().string('ssh-ed25519').string(Buffer.alloc(32, 0xff)).finish(),
    new SSHWriter().string('ssh-ed25519').string(Buffer.alloc(31)).finish(),
    Buffer.concat([new SSHWriter().string('ssh-ed25519').string(Buffer.alloc(32)).finish(), Buffer.of(0)]),
    new SSHWriter().string('ecdsa-sha2-nistp256').string('nistp256').string(point).finish(),
    new SSHWriter().string('ssh-rsa').mpint(Buffer.of(1, 0, 1)).mpint(Buffer.alloc(64, 0xab)).finish(),
    new SSHWriter().string('ssh-dss').string('x').finish(),
    Buffer.alloc(3),
  ];
  for (const blob of blobs) {
    assert.equal(outcome(() => checkPublicKeyBlob(blob)), outcome(() => publicKeyFromBlob(blob)), blob.toString('hex'));
  }
});
