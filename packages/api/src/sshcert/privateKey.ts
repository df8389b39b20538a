/**
 * @module sshcert/privateKey
 * The OpenSSH private key file ("-----BEGIN OPENSSH PRIVATE KEY-----", format openssh-key-v1 from
 * OpenSSH's PROTOCOL.key), unencrypted only, for Ed25519, ECDSA P-256 and RSA. This is what `ssh -i`
 * and `ssh-keygen -y` read; tsh writes it next to the certificate.
 */
import { createPrivateKey, randomBytes, type KeyObject, type JsonWebKey } from 'node:crypto';
import { BadParameterError } from '../errors.ts';
import { SSHReader, SSHWriter, bigintToBytes, bytesToBigint } from './wire.ts';
import { SSH_ECDSA_P256, SSH_ED25519, SSH_RSA, sshKeyType, sshPublicKeyBlob } from './publicKey.ts';

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';
/** Cipher block size for "none"; the private section is padded to a multiple of it. */
const BLOCK = 8;
/** ssh-keygen wraps the base64 body at 70 columns. */
const LINE = 70;

const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');

/** Serializes an unencrypted OpenSSH private key file. The file should be written with mode 0600. */
export function formatOpenSSHPrivateKey(key: KeyObject, comment = ''): string {
  if (key.type !== 'private') throw new BadParameterError('an OpenSSH private key file needs a private key, got a public one');
  const type = sshKeyType(key);
  const pub = sshPublicKeyBlob(key);
  const jwk = key.export({ format: 'jwk' });
  // The two equal check integers let a decryptor detect a wrong passphrase; random like OpenSSH's.
  const check = randomBytes(4).readUInt32BE();
  const priv = new SSHWriter().uint32(check).uint32(check).string(type);
  if (type === SSH_ED25519) {
    const x = b64u(jwk.x);
    // OpenSSH stores the 64-byte "secret key" of the reference implementation: seed || public.
    priv.string(x).string(Buffer.concat([b64u(jwk.d), x]));
  } else if (type === SSH_ECDSA_P256) {
    // Curve name and point are the same fields as in the public blob, after its type name.
    const r = new SSHReader(pub, 'SSH public key');
    r.string();
    priv.string(r.string()).string(r.string()).mpint(b64u(jwk.d));
  } else {
    priv.mpint(b64u(jwk.n)).mpint(b64u(jwk.e)).mpint(b64u(jwk.d)).mpint(b64u(jwk.qi)).mpint(b64u(jwk.p)).mpint(b64u(jwk.q));
  }
  priv.string(comment);
  let section = priv.finish();
  const padLen = (BLOCK - (section.length % BLOCK)) % BLOCK;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1))]);

  const body = new SSHWriter()
    .raw(MAGIC)
    .string('none')
    .string('none')
    .string('')
    .uint32(1)
    .string(pub)
    .string(section)
    .finish()
    .toString('base64');
  const lines = body.match(new RegExp(`.{1,${LINE}}`, 'g')) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Parses an unencrypted OpenSSH private key file into a node:crypto private key. */
export function parseOpenSSHPrivateKey(text: string): KeyObject {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) {
    throw new BadParameterError(`not an OpenSSH private key: expected a "${BEGIN}" block`);
  }
  const data = Buffer.from(text.slice(start + BEGIN.length, end).replace(/\s+/g, ''), 'base64');
  if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BadParameterError('not an OpenSSH private key: the openssh-key-v1 header is missing');
  }
  const r = new SSHReader(data.subarray(MAGIC.length), 'OpenSSH private key');
  const cipher = r.utf8();
  const kdf = r.utf8();
  r.string(); // kdf options
  if (cipher !== 'none' || kdf !== 'none') {
    throw new BadParameterError(
      `the OpenSSH private key is encrypted with a passphrase (${cipher}/${kdf}), which is not supported: ` +
        "remove the passphrase with 'ssh-keygen -p -N \"\" -f <file>' or use an unencrypted key",
    );
  }
  const count = r.uint32();
  if (count !== 1) throw new BadParameterError(`the OpenSSH private key file holds ${count} keys: exactly one is supported`);
  const pub = r.string();
  const section = r.string();
  r.done();
  if (section.length % BLOCK !== 0) throw new BadParameterError('the OpenSSH private key section has a bad length');

  const p = new SSHReader(section, 'OpenSSH private key');
  if (p.uint32() !== p.uint32()) throw new BadParameterError('the OpenSSH private key is corrupt (check integers differ)');
  const type = p.utf8();
  const jwk = readPrivateJwk(p, type);
  p.string(); // comment
  const padding = p.rest();
  if (!padding.every((b, i) => b === i + 1)) throw new BadParameterError('the OpenSSH private key has bad padding');

  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    throw new BadParameterError(`the OpenSSH ${type} private key is invalid`, { cause: err });
  }
  // The outer public key must be the public half of the private one, or the file was tampered with.
  if (!sshPublicKeyBlob(key).equals(pub)) {
    throw new BadParameterError('the OpenSSH private key does not match the public key stored with it');
  }
  return key;
}

/** Reads the type-specific private fields as a JWK node:crypto can import. */
function readPrivateJwk(p: SSHReader, type: string): JsonWebKey {
  if (type === SSH_ED25519) {
    const x = p.string();
    const secret = p.string();
    if (x.length !== 32 || secret.length !== 64) throw new BadParameterError('the ssh-ed25519 private key has bad field sizes');
    return { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url'), d: secret.subarray(0, 32).toString('base64url') };
  }
  if (type === SSH_ECDSA_P256) {
    const curve = p.utf8();
    const point = p.string();
    const d = p.mpint();
    if (curve !== 'nistp256' || point.length !== 65 || point[0] !== 4 || d.length > 32) {
      throw new BadParameterError('the ecdsa-sha2-nistp256 private key is malformed');
    }
    return {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
      d: Buffer.concat([Buffer.alloc(32 - d.length), d]).toString('base64url'),
    };
  }
  if (type === SSH_RSA) {
    const [n, e, d, iqmp, p1, q] = [p.mpint(), p.mpint(), p.mpint(), p.mpint(), p.mpint(), p.mpint()];
    // OpenSSH omits the CRT exponents; JWK requires them, so derive d mod (p-1) and d mod (q-1).
    const dBig = bytesToBigint(d);
    const dp = bigintToBytes(dBig % (bytesToBigint(p1) - 1n));
    const dq = bigintToBytes(dBig % (bytesToBigint(q) - 1n));
    const enc = (b: Buffer): string => b.toString('base64url');
    return { kty: 'RSA', n: enc(n), e: enc(e), d: enc(d), p: enc(p1), q: enc(q), dp: enc(dp), dq: enc(dq), qi: enc(iqmp) };
  }
  throw new BadParameterError(`unsupported OpenSSH private key type "${type}": use ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa`);
}
