/**
 * @module sshcert/publicKey
 * OpenSSH public keys: the wire blob of RFC 4253 / RFC 5656 for Ed25519, ECDSA P-256 and RSA, the
 * one-line authorized_keys form ("ssh-ed25519 AAAA... comment") and SHA256 fingerprints as printed by
 * `ssh-keygen -l`. Keys cross into node:crypto through JWK, so no key math is done here.
 */
import { createHash, createPublicKey, type KeyObject, type JsonWebKey } from 'node:crypto';
import { BadParameterError } from '../errors.ts';
import { SSHReader, SSHWriter } from './wire.ts';

/** Key type names of the plain (non-certificate) keys we support. */
export const SSH_ED25519 = 'ssh-ed25519';
/** ECDSA over NIST P-256 (RFC 5656). */
export const SSH_ECDSA_P256 = 'ecdsa-sha2-nistp256';
/** RSA key type; signatures made with it use rsa-sha2-256/512, never SHA-1. */
export const SSH_RSA = 'ssh-rsa';

/** OpenSSH refuses RSA keys below this size; so do we. */
const RSA_MIN_BITS = 1024;

/** The SSH key type name of a node:crypto key ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
export function sshKeyType(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return SSH_ED25519;
  if (type === 'rsa') return SSH_RSA;
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return SSH_ECDSA_P256;
  throw new BadParameterError(`unsupported SSH key type ${type ?? 'unknown'}: use ed25519, ECDSA P-256 or RSA`);
}

const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');

/** Left-pads a big-endian integer to `len` bytes (JWK EC coordinates are fixed width). */
function pad(bytes: Buffer, len: number): Buffer {
  if (bytes.length > len) throw new BadParameterError(`integer is ${bytes.length} bytes, expected at most ${len}`);
  return Buffer.concat([Buffer.alloc(len - bytes.length), bytes]);
}

/** The OpenSSH wire blob of a public key (a private key works too: its public half is used). */
export function sshPublicKeyBlob(key: KeyObject): Buffer {
  const type = sshKeyType(key);
  const jwk = key.export({ format: 'jwk' });
  const w = new SSHWriter().string(type);
  if (type === SSH_ED25519) return w.string(b64u(jwk.x)).finish();
  if (type === SSH_ECDSA_P256) {
    const point = Buffer.concat([Buffer.of(4), pad(b64u(jwk.x), 32), pad(b64u(jwk.y), 32)]);
    return w.string('nistp256').string(point).finish();
  }
  // RFC 4253 orders RSA as e then n (the certificate format keeps that order).
  return w.mpint(b64u(jwk.e)).mpint(b64u(jwk.n)).finish();
}

/** The key type named at the start of a blob (works for certificate blobs too). */
export function blobKeyType(blob: Buffer): string {
  return new SSHReader(blob, 'SSH key').utf8();
}

/**
 * Reads the type-specific fields of a `type` public key (everything after the type name) and returns
 * the complete plain key blob. Used by the certificate codec, whose key fields follow the nonce.
 */
export function readPublicKeyFields(r: SSHReader, type: string): Buffer {
  const w = new SSHWriter().string(type);
  if (type === SSH_ED25519) return w.string(r.string()).finish();
  if (type === SSH_ECDSA_P256) return w.string(r.string()).string(r.string()).finish();
  if (type === SSH_RSA) return w.mpint(r.mpint()).mpint(r.mpint()).finish();
  throw new BadParameterError(`unsupported SSH key type "${type}": use ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa`);
}

/** The JWK of a plain public key blob, validated field by field. */
function jwkFromBlob(blob: Buffer): JsonWebKey {
  const r = new SSHReader(blob, 'SSH public key');
  const type = r.utf8();
  let jwk: JsonWebKey;
  if (type === SSH_ED25519) {
    const pub = r.string();
    if (pub.length !== 32) throw new BadParameterError(`ssh-ed25519 public key is ${pub.length} bytes, expected 32`);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') };
  } else if (type === SSH_ECDSA_P256) {
    const curve = r.utf8();
    const point = r.string();
    if (curve !== 'nistp256') throw new BadParameterError(`ecdsa-sha2-nistp256 key names curve "${curve}"`);
    // Only uncompressed points: OpenSSH never writes compressed ones.
    if (point.length !== 65 || point[0] !== 4) throw new BadParameterError('ecdsa-sha2-nistp256 key has a malformed point');
    jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
  } else if (type === SSH_RSA) {
    const e = r.mpint();
    const n = r.mpint();
    const bits = n.length * 8 - Math.clz32(n[0] ?? 0) + 24;
    if (bits < RSA_MIN_BITS) throw new BadParameterError(`ssh-rsa key is ${bits} bits: at least ${RSA_MIN_BITS} are required`);
    jwk = { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
  } else {
    throw new BadParameterError(`unsupported SSH key type "${type}": use ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa`);
  }
  r.done();
  return jwk;
}

/**
 * Throws BadParameterError unless `blob` is a well-formed public key of a supported type that
 * node:crypto accepts, exactly as {@link publicKeyFromBlob} would, without keeping the key. An
 * Ed25519 key is checked by its structure and length alone: OpenSSL accepts any 32 bytes as an
 * Ed25519 public key, so importing it (the costly part, for every certificate issued) checks nothing
 * more. ECDSA points and RSA moduli are imported, which checks them.
 */
export function checkPublicKeyBlob(blob: Buffer): void {
  const jwk = jwkFromBlob(blob);
  if (jwk.kty !== 'OKP') publicKeyFromBlob(blob);
}

/** A node:crypto public key from an OpenSSH public key blob. */
export function publicKeyFromBlob(blob: Buffer): KeyObject {
  const jwk = jwkFromBlob(blob);
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    // OpenSSL rejects, for example, EC points that are not on the curve.
    throw new BadParameterError(`invalid ${blobKeyType(blob)} public key`, { cause: err });
  }
}

/** The authorized_keys line of a key blob: "<type> <base64> [comment]". */
export function formatAuthorizedKey(blob: Buffer, comment?: string): string {
  const line = `${blobKeyType(blob)} ${blob.toString('base64')}`;
  return comment ? `${line} ${comment}` : line;
}

/**
 * Parses "<type> <base64> [comment]" (authorized_keys without options, *.pub files, certificate lines).
 * The stated type must match the type inside the blob.
 */
export function parseAuthorizedKey(line: string): { type: string; blob: Buffer; comment: string } {
  const m = /^\s*(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*?))?\s*$/.exec(line);
  if (!m) throw new BadParameterError('could not parse the SSH public key line: expected "<type> <base64> [comment]"');
  const type = m[1] as string;
  const blob = Buffer.from(m[2] as string, 'base64');
  const inner = blobKeyType(blob);
  if (inner !== type) throw new BadParameterError(`SSH key line says "${type}" but the key inside is "${inner}"`);
  return { type, blob, comment: m[3] ?? '' };
}

/** The SHA256 fingerprint exactly as `ssh-keygen -l` prints it ("SHA256:" + unpadded base64). */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
